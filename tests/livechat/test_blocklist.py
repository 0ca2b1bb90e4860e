"""Blocked words match whole words and phrases, whatever the case, accents or spacing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from livechat.blocklist import Blocklist, parse_entries, session_blocklist, starter_entries


def test_a_phrase_matches_its_words_in_sequence_only():
    blocklist = Blocklist(["nique ta mère"])

    assert blocklist.matches("NIQUE   ta  Mere !") == ["nique ta mère"]
    assert blocklist.matches("nique la mère") == []


def test_whole_words_only():
    blocklist = Blocklist(["con"])

    assert blocklist.matches("Quel con.") == ["con"]
    assert blocklist.matches("une consultation, un cône") == []


def test_each_entry_is_reported_once_in_order_of_appearance():
    blocklist = Blocklist(["abc", "xyz"])

    assert blocklist.matches("xyz abc xyz") == ["xyz", "abc"]


def test_comments_and_blank_lines_are_not_entries():
    assert parse_entries("# liste\n\n  gros   mot \n!!!\n") == ["gros mot"]


def test_the_starter_lists_exist_in_french_and_english():
    assert "connard" in starter_entries("fr")
    assert "kill yourself" in starter_entries("en")
    assert session_blocklist("", True).matches("Kill yourself") == ["kill yourself"]
    assert session_blocklist("", False).matches("Kill yourself") == []


@given(st.lists(st.text(max_size=30), max_size=20), st.text(max_size=500))
def test_any_list_and_any_text_give_a_list_of_entries(entries, text):
    found = Blocklist(entries).matches(text)

    assert set(found) <= set(entries)
    assert len(found) == len(set(found))
