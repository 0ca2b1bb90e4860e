"""Blocked words: which words or phrases of a list a message contains.

A session's list is its own lines plus, unless turned off, the French and English
starter lists in ``livechat/blocklists/``. Matching ignores case, accents and
spacing, and works on whole words, so "Connard" and "CONNARD !" match ``connard``
while "connardise" does not, and a phrase matches its words in sequence:

>>> Blocklist(["nique ta mère"]).matches("Nique   ta MERE, vraiment")
['nique ta mère']
>>> Blocklist(["con"]).matches("une consultation")
[]

A match never drops a message: the post waits for a moderator's review.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

STARTER_LISTS = ("fr", "en")
_DIRECTORY = Path(__file__).resolve().parent / "blocklists"
_WORD = re.compile(r"\w+")
MAX_ENTRIES = 2000


def fold(text: str) -> str:
    """Lower case without accents, ligatures expanded (NFKD): what matching compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def parse_entries(text: str) -> list[str]:
    """The entries of a list written one per line; ``#`` starts a comment line."""
    entries = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line and not line.startswith("#") and words(line):
            entries.append(line)
    return entries


@functools.cache
def starter_entries(language: str) -> tuple[str, ...]:
    return tuple(parse_entries((_DIRECTORY / f"{language}.txt").read_text(encoding="utf-8")))


class Blocklist:
    """A set of entries, indexed by their first word so a message is scanned once."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for entry in entries:
            key = words(entry)
            if key:
                self._by_first.setdefault(key[0], []).append((key, entry))

    def matches(self, text: str) -> list[str]:
        """The entries found in ``text``, each once, in the order they appear."""
        found: list[str] = []
        tokens = words(text)
        for index, token in enumerate(tokens):
            for key, entry in self._by_first.get(token, ()):
                if tokens[index : index + len(key)] == key and entry not in found:
                    found.append(entry)
        return found


@functools.lru_cache(maxsize=256)
def session_blocklist(own: str, starters: bool) -> Blocklist:
    """The list a chat uses, cached by its settings' text (shared by every post)."""
    entries = parse_entries(own)
    if starters:
        for language in STARTER_LISTS:
            entries.extend(starter_entries(language))
    return Blocklist(entries)
