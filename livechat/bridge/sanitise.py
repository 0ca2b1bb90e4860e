"""Fediverse HTML to the chat's plain text.

Mastodon sends a status's content as HTML. It is cleaned with nh3 (Ammonia)
down to paragraphs, line breaks and links, then flattened: paragraphs become
blank lines, a link its visible text, followed by its address when the text is
neither the address (Mastodon shortens long links with hidden spans, whose text
still spells the whole address) nor a #hashtag or @mention. The chat tokenizes
the result like any message, so nobody ever renders the network's HTML.

>>> html_to_text('<p>Bonjour <a href="https://ex.org/tags/assmednum">#<span>assmednum</span></a></p><p>2<br>3</p>')
'Bonjour #assmednum\\n\\n2\\n3'
>>> html_to_text('<script>alert(1)</script><p>Voir <a href="https://ex.org/a">ici</a></p>')
'Voir ici (https://ex.org/a)'
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_ALLOWED = {"p", "br", "a"}
_ATTRIBUTES = {"a": {"href"}}
_SCHEMES = {"http", "https"}


class _Flatten(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.link: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self.parts:
                self.parts.append("\n\n")
        elif tag == "a":
            self.link = dict(attrs).get("href") or ""
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            text = "".join(self.link_text)
            self.parts.append(text)
            if self.link and not _speaks_for_itself(text, self.link):
                self.parts.append(f" ({self.link})")
            self.link = None

    def handle_data(self, data: str) -> None:
        (self.link_text if self.link is not None else self.parts).append(data)


def _speaks_for_itself(text: str, href: str) -> bool:
    text = text.strip()
    if text.startswith(("#", "@")) or not text:
        return True
    bare = re.sub(r"^https?://", "", href).rstrip("/")
    return re.sub(r"^https?://", "", text).rstrip("/…") in {bare, href} or bare.startswith(
        re.sub(r"^https?://", "", text).rstrip("…")
    )


def html_to_text(content: str) -> str:
    """Clean ``content`` (HTML from the network) and return it as plain text."""
    cleaned = nh3.clean(
        content,
        tags=_ALLOWED,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    parser = _Flatten()
    parser.feed(cleaned)
    parser.close()
    if parser.link is not None:  # an unclosed link: keep its text
        parser.parts.append("".join(parser.link_text))
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()
