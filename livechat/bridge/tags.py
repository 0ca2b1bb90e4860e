"""Hashtags: found in text, in Bluesky facets and ``tags[]``, compared as Mastodon does.

Bluesky facets index the text in UTF-8 bytes, not characters:

>>> text = "Café #AssMédNum"
>>> facets = build_facets(text)
>>> facets[0]["index"], facets[0]["features"][0]["tag"]
({'byteStart': 6, 'byteEnd': 17}, 'AssMédNum')
>>> sorted(record_tags({"text": text, "facets": facets}))
['assmednum']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from livechat.text import normalise_tag

__all__ = ["build_facets", "normalise_tag", "record_tags", "tags_in_text"]

TAG_FEATURE = "app.bsky.richtext.facet#tag"
LINK_FEATURE = "app.bsky.richtext.facet#link"
# As the chat's tokenizer finds them (livechat.text), so what the room sees as a
# hashtag is what goes out as one.
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
_LINK = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»]")


def tags_in_text(text: str) -> set[str]:
    """The normalised hashtags written in ``text``."""
    return {normalise_tag(match.group(1)) for match in _HASHTAG.finditer(text)}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def build_facets(text: str) -> list[dict[str, Any]]:
    """Facets for every hashtag and link of ``text``, at UTF-8 byte offsets."""
    facets: list[dict[str, Any]] = []
    for match in _HASHTAG.finditer(text):
        facets.append(
            {
                "index": {
                    "byteStart": _byte_offset(text, match.start()),
                    "byteEnd": _byte_offset(text, match.end()),
                },
                "features": [{"$type": TAG_FEATURE, "tag": match.group(1)}],
            }
        )
    for match in _LINK.finditer(text):
        facets.append(
            {
                "index": {
                    "byteStart": _byte_offset(text, match.start()),
                    "byteEnd": _byte_offset(text, match.end()),
                },
                "features": [{"$type": LINK_FEATURE, "uri": match.group(0)}],
            }
        )
    facets.sort(key=lambda facet: facet["index"]["byteStart"])
    return facets


def facet_tags(record: dict[str, Any]) -> set[str]:
    """The tags of a post's ``#tag`` facets. A facet's ``tag`` is authoritative (the
    byte range only places it in the text), so a malformed range loses nothing."""
    found: set[str] = set()
    facets = record.get("facets")
    if not isinstance(facets, list):
        return found
    for facet in facets:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else ():
            if not isinstance(feature, dict) or feature.get("$type") != TAG_FEATURE:
                continue
            tag = feature.get("tag")
            if isinstance(tag, str) and tag:
                found.add(normalise_tag(tag.removeprefix("#")))
    return found


def record_tags(record: dict[str, Any]) -> set[str]:
    """Every normalised tag of a Bluesky post record: its facets, its ``tags[]``
    (tags not shown in the text), and the text itself when a client sent no facets."""
    found = facet_tags(record)
    extra = record.get("tags")
    if isinstance(extra, list):
        found |= {normalise_tag(t.removeprefix("#")) for t in extra if isinstance(t, str) and t}
    text = record.get("text")
    if not record.get("facets") and isinstance(text, str):
        found |= tags_in_text(text)
    return found


def wanted(tags: Iterable[str]) -> set[str]:
    """Normalise configured tags (with or without #), dropping blanks."""
    return {normalise_tag(t.strip().removeprefix("#")) for t in tags if t.strip().strip("#")}
