"""Chat text: cleaned on the way in, split into tokens for display.

A message is stored as the participant typed it (after cleaning) and sent with
its tokens: plain text, links, @mentions and #hashtags. Clients build DOM text
nodes and links from tokens; nobody ever renders participant HTML.

>>> [t.kind for t in tokenize("Voir https://example.org #AssMédNum @Claire")]
['text', 'link', 'text', 'hashtag', 'text', 'mention']
"""

from __future__ import annotations

import re
import unicodedata

import msgspec

MAX_LENGTH = 500

# A link: http(s) only, up to whitespace; trailing punctuation is left out.
_LINK = r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»]"
_HASHTAG = r"(?<![\w#])#(?P<tag>\w{1,100})"
_MENTION = r"(?<![\w@])@(?P<name>\w[\w.-]{0,79}\w|\w)"
_TOKENS = re.compile(f"(?P<link>{_LINK})|{_HASHTAG}|{_MENTION}")
# Control characters other than newline and tab, and lone surrogates.
_UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


class Token(msgspec.Struct, array_like=False, forbid_unknown_fields=True):
    kind: str  # "text", "link", "hashtag", "mention"
    text: str
    value: str = ""  # the URL, the normalised tag, or the mentioned name


def clean(text: str) -> str:
    """Normalise to NFC, drop control and direction-override characters, trim."""
    text = unicodedata.normalize("NFC", text)
    text = _UNWANTED.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def normalise_tag(tag: str) -> str:
    """Fold a hashtag the way Mastodon compares them: #AssMédNum is #assmednum."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", tag).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in _TOKENS.finditer(text):
        if match.start() > position:
            tokens.append(Token("text", text[position : match.start()]))
        if match.group("link"):
            tokens.append(Token("link", match.group(0), match.group(0)))
        elif match.group("tag"):
            tokens.append(Token("hashtag", match.group(0), normalise_tag(match.group("tag"))))
        else:
            tokens.append(Token("mention", match.group(0), match.group("name")))
        position = match.end()
    if position < len(text):
        tokens.append(Token("text", text[position:]))
    return tokens
