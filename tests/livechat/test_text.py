"""Chat text: cleaning and tokens, with properties Hypothesis checks on any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from livechat.text import clean, normalise_tag, tokenize


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value or t.text) for t in tokenize(text)]


def test_links_hashtags_and_mentions_are_found():
    assert kinds("Voir https://cachan.fr/cq, #AssMédNum et @Claire.") == [
        ("text", "Voir "),
        ("link", "https://cachan.fr/cq"),
        ("text", ", "),
        ("hashtag", "assmednum"),
        ("text", " et "),
        ("mention", "Claire"),
        ("text", "."),
    ]


def test_only_http_links_are_links():
    assert [k for k, _ in kinds("javascript:alert(1) ftp://x.fr data:text/html,x")] == ["text"]


def test_an_email_address_is_not_a_mention_and_a_fragment_is_not_a_hashtag():
    assert kinds("écrivez à claire@cachan.fr ou lisez https://x.fr/#a") == [
        ("text", "écrivez à claire@cachan.fr ou lisez "),
        ("link", "https://x.fr/#a"),
    ]


def test_tags_compare_like_mastodon():
    assert normalise_tag("AssMédNum") == normalise_tag("assmednum") == "assmednum"
    assert normalise_tag("ＣＱ") == "cq"


def test_clean_drops_controls_and_direction_overrides_and_trims():
    assert clean("  bonjour\u202e\x00 à tous\r\n\n\n\nmerci  ") == "bonjour à tous\n\nmerci"


@given(st.text(max_size=600))
def test_tokens_always_spell_the_text_back(text):
    assert "".join(t.text for t in tokenize(text)) == text


@given(st.text(max_size=600))
def test_clean_is_idempotent_and_leaves_no_control_characters(text):
    once = clean(text)
    assert clean(once) == once
    assert not any(ord(c) < 32 and c not in "\n\t" for c in once)
    once.encode("utf-8")  # no lone surrogate survives
