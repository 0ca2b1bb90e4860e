"""The bridge's parsers: SSE framing, hashtag facets at UTF-8 byte offsets, tag
normalisation, HTML sanitising. Property tests feed them anything."""

from __future__ import annotations

import html
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from livechat.bridge import jetstream, mastodon
from livechat.bridge.sanitise import html_to_text
from livechat.bridge.sse import Event, SSEParser
from livechat.bridge.tags import build_facets, facet_tags, record_tags, tags_in_text
from livechat.text import normalise_tag

# -- SSE ------------------------------------------------------------------------------

field_text = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40
)
events = st.lists(
    st.tuples(
        st.sampled_from(["update", "delete", "status.update"]),
        st.lists(field_text, min_size=1, max_size=3),
    ),
    max_size=6,
)


def encode(items, newline: str) -> bytes:
    out = ":)" + newline
    for kind, lines in items:
        out += f":thump{newline}event: {kind}{newline}"
        out += "".join(f"data: {line}{newline}" for line in lines)
        out += newline
    return out.encode()


@given(events, st.sampled_from(["\n", "\r\n", "\r"]), st.lists(st.integers(0, 400), max_size=8))
def test_sse_events_survive_any_chunking_and_line_ending(items, newline, cuts):
    data = encode(items, newline)
    parser = SSEParser()
    got: list[Event] = []
    last = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}):
        got += parser.feed(data[last:cut])
        last = cut
    got += parser.feed(data[last:])
    assert [(e.event, e.data) for e in got] == [(k, "\n".join(lines)) for k, lines in items]


def test_sse_comments_and_a_bom_give_no_event_and_an_event_without_data_is_dropped():
    parser = SSEParser()
    assert parser.feed(b"\xef\xbb\xbf:)\n:thump\n\nevent: update\n\n") == []
    assert parser.feed(b"id: 7\ndata:x\n\n") == [Event("message", "x", "7")]
    assert parser.last_event_id == "7"


def test_sse_utf8_cut_inside_a_character_is_decoded_whole():
    data = 'event: update\ndata: {"content":"Médiathèque ✨"}\n\n'.encode()
    parser = SSEParser()
    got = [e for i in range(len(data)) for e in parser.feed(data[i : i + 1])]
    assert got == [Event("update", '{"content":"Médiathèque ✨"}')]


# -- tags -----------------------------------------------------------------------------


def test_tags_are_normalised_as_mastodon_compares_them():
    assert normalise_tag("AssMédNum") == "assmednum"
    assert normalise_tag("ＡｓｓＭｅｄＮｕｍ") == "assmednum"  # NFKC: full-width letters
    assert tags_in_text("Bravo #AssMédNum et #assmednum, pas#ça") == {"assmednum"}


@given(st.text(max_size=30))
def test_normalising_a_tag_twice_changes_nothing(tag):
    once = normalise_tag(tag)
    assert normalise_tag(once) == once
    assert not any(unicodedata.combining(c) for c in once)


words = st.text(st.characters(whitelist_categories=("L", "Nd")), min_size=1, max_size=12).filter(
    lambda w: normalise_tag(w) and ("#" + w)[1:].isidentifier() is not None
)
spacer = st.text(
    st.characters(blacklist_categories=("Cs", "L", "N", "Mn", "Mc", "Pc")), max_size=8
).map(lambda s: s.replace("#", ""))


@given(st.text(max_size=20), words, spacer)
def test_facets_are_built_at_utf8_byte_offsets(prefix, tag, after):
    text = f"{prefix} #{tag}{' ' + after if after else ''}"
    facets = build_facets(text)
    raw = text.encode()
    for facet in facets:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        piece = raw[start:end].decode()  # never splits a character
        feature = facet["features"][0]
        if feature["$type"].endswith("#tag"):
            assert piece == "#" + feature["tag"]
    if tags_in_text(text):
        assert facet_tags({"facets": facets}) == tags_in_text(text)


@given(st.text(max_size=60), st.lists(st.text(max_size=10), max_size=3))
def test_record_tags_takes_any_record_without_failing(text, extra):
    facets = build_facets(text)
    found = record_tags({"text": text, "facets": facets, "tags": extra})
    assert tags_in_text(text) <= found


def test_record_tags_reads_facets_tags_and_text_without_facets():
    facet_only = {"text": "voir ici", "facets": build_facets("#AssMedNum")}
    assert record_tags(facet_only) == {"assmednum"}
    assert record_tags({"text": "rien", "tags": ["AssMédNum"]}) == {"assmednum"}
    assert record_tags({"text": "Sans facettes #AssMédNum"}) == {"assmednum"}
    # With facets, the text is not searched again: the client said what is a tag.
    assert record_tags({"text": "#faux", "facets": [{"index": {}, "features": []}]}) == set()


def test_facets_with_broken_shapes_are_ignored():
    broken = {"facets": [None, {"features": "x"}, {"features": [{"$type": 3}]}, "x"]}
    assert facet_tags(broken) == set()


# -- HTML -----------------------------------------------------------------------------


def test_mastodon_html_becomes_plain_text_with_links():
    content = (
        '<p>Bonjour <span class="h-card"><a href="https://m.example/@ana" class="u-url mention">'
        '@<span>ana</span></a></span> <a href="https://m.example/tags/assmednum" '
        'class="mention hashtag" rel="tag">#<span>AssMedNum</span></a></p>'
        '<p>Les slides : <a href="https://example.org/slides/2025/ajaccio/pleniere.pdf">'
        '<span class="invisible">https://</span><span class="ellipsis">example.org/slides/2025/'
        'ajacc</span><span class="invisible">io/pleniere.pdf</span></a><br>à&nbsp;bientôt</p>'
    )
    assert html_to_text(content) == (
        "Bonjour @ana #AssMedNum\n\n"
        "Les slides : https://example.org/slides/2025/ajaccio/pleniere.pdf\nà\xa0bientôt"
    )


def test_scripts_styles_and_other_markup_never_survive():
    content = (
        '<p onclick="x()">Hi<script>alert(1)</script><style>p{}</style>'
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)">clic</a></p>'
    )
    assert html_to_text(content) == "Hiclic"


@given(st.text(max_size=200))
def test_sanitising_any_html_never_fails(content):
    text = html_to_text(content)
    assert text == text.strip()


plain = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=100)


@given(plain)
def test_text_escaped_as_html_comes_back_as_it_was(text):
    """What people typed, escaped by their instance, reaches the chat unchanged:
    markup in a post's text is text, never markup."""
    assert html_to_text(f"<p>{html.escape(text)}</p>") == text.strip()


# -- edits, deletions and self-labels --------------------------------------------------


def commit(operation: str, record=None, collection: str = "app.bsky.feed.post") -> dict:
    body = {"operation": operation, "collection": collection, "rkey": "3l3qo2vuowo2b"}
    if record is not None:
        body["record"] = record
    return {"did": "did:plc:abc", "time_us": 1725911162329308, "kind": "commit", "commit": body}


def test_jetstream_updates_and_deletions_of_posts_are_told_apart():
    uri = "at://did:plc:abc/app.bsky.feed.post/3l3qo2vuowo2b"
    record = {"text": "Nouveau #AssMedNum"}
    assert jetstream.deleted_uri(commit("delete")) == uri
    assert jetstream.deleted_uri(commit("delete", collection="app.bsky.feed.like")) == ""
    assert jetstream.created_post(commit("update", record)) is None
    assert jetstream.post_record(commit("update", record)) == record
    assert jetstream.matching_tags(commit("update", record), {"assmednum"}) == {"assmednum"}
    post = jetstream.to_post(commit("update", record), {"assmednum"}, "abc.bsky.social", "")
    assert post.edited_at is not None
    assert post.edited_at.year == 2024
    assert jetstream.to_post(commit("create", record), set(), "", "").edited_at is None
    assert jetstream.operation({"kind": "identity"}) == ""


def test_every_self_label_value_is_kept_once_and_nothing_else():
    labels = {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "porn"}, {"val": "porn"}, {"val": "spoiler-tv"}, {"x": 1}, "y"],
    }
    assert jetstream.self_labels({"labels": labels}) == ("porn", "spoiler-tv")
    assert jetstream.self_labels({"labels": ["porn"]}) == ()
    assert jetstream.self_labels({}) == ()


@given(st.recursive(st.none() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)))
def test_self_labels_take_any_shape_without_failing(values):
    found = jetstream.self_labels({"labels": {"values": values}})
    assert all(isinstance(v, str) and v for v in found)


def test_mastodon_statuses_keep_their_id_and_edit_time_and_deletions_their_bare_id():
    status = {
        "id": "113",
        "uri": "https://m.example/users/ana/statuses/113",
        "content": "<p>#assmednum</p>",
        "tags": [{"name": "assmednum"}],
        "edited_at": "2026-11-25T09:00:00.000Z",
    }
    post = mastodon.to_post(status)
    assert post is not None
    assert (post.external_id, post.edited_at.minute) == ("113", 0)
    assert mastodon.to_post({**status, "edited_at": None}).edited_at is None
    assert mastodon._payload("delete", "113\n") == "113"
    assert mastodon._is_id("113")
    assert not mastodon._is_id('{"id": 1}')
