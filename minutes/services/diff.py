"""What changed between two published versions: their HTML with <ins> and <del>.

Both inputs are HTML written by ``document.render_html`` (an allowlist, every text
escaped), so they are cut into tokens (a tag, a word, a run of spaces) with a
regular expression rather than parsed, and compared word by word with
``difflib``. For example::

    diff_html("<p>We voted yes.</p>", "<p>We voted no.</p>")
    # '<p>We voted <del>…yes.…</del><ins>…no.…</ins></p>'  (… : hidden labels)

The comparison is by element, from the outside in: the two versions' blocks are
matched first (a paragraph, a list, a table, compared whole), and only blocks
that changed are compared inside, down to their words. So a removed paragraph
shows as a struck paragraph, an added list item as an underlined item, and a
changed word as that word, without unrelated words lining up by chance. The
newer version's structure is kept; ``<ins>`` and ``<del>`` wrap words only and
never straddle a tag, so the markup stays well nested.

Not colour alone (WCAG 1.4.1): the stylesheet underlines and strikes through,
and every change carries hidden words that screen readers read out ("added",
"end of addition"), since most do not announce ``ins`` and ``del`` by themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.translation import gettext

_TOKEN = re.compile(r"<[^>]*>|[^<\s]+|\s+")
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)")
VOID = {"br", "hr"}


@dataclass(frozen=True)
class _Element:
    name: str
    open: str
    children: tuple[_Unit, ...]
    close: str
    key: str  # the element's whole HTML: equal elements compare equal


_Unit = _Element | str  # an element, or a word, a run of spaces, a void tag


def diff_html(old: str, new: str) -> str:
    """``new`` with what changed since ``old`` marked as insertions and deletions."""
    labels = {
        "ins": (gettext("[added]"), gettext("[end of addition]")),
        "del": (gettext("[removed]"), gettext("[end of removal]")),
    }
    out: list[str] = []
    _diff(_parse(old), _parse(new), out, labels)
    return "".join(out)


def _parse(html: str) -> list[_Unit]:
    """Tokens into a tree of elements; a stray closing tag is dropped."""
    root: list[_Unit] = []
    stack: list[tuple[str, str, list[_Unit]]] = []
    for token in _TOKEN.findall(html):
        match = _TAG.match(token)
        siblings = stack[-1][2] if stack else root
        if match is None or match.group(2).lower() in VOID:
            siblings.append(token)
        elif match.group(1) != "/":
            stack.append((match.group(2).lower(), token, []))
        elif any(name == match.group(2).lower() for name, _, _ in stack):
            while stack:
                name, open_tag, children = stack.pop()
                element = _element(name, open_tag, children, f"</{name}>")
                (stack[-1][2] if stack else root).append(element)
                if name == match.group(2).lower():
                    break
    while stack:  # unclosed at the end: close them
        name, open_tag, children = stack.pop()
        (stack[-1][2] if stack else root).append(_element(name, open_tag, children, f"</{name}>"))
    return root


def _element(name: str, open_tag: str, children: list[_Unit], close: str) -> _Element:
    key = open_tag + "".join(_key(child) for child in children) + close
    return _Element(name, open_tag, tuple(children), close, key)


def _key(unit: _Unit) -> str:
    return unit.key if isinstance(unit, _Element) else unit


Labels = dict[str, tuple[str, str]]


def _diff(a: Sequence[_Unit], b: Sequence[_Unit], out: list[str], labels: Labels) -> None:
    matcher = SequenceMatcher(None, [_key(u) for u in a], [_key(u) for u in b], autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(_key(unit) for unit in b[b1:b2])
        elif op == "delete":
            _whole(a[a1:a2], "del", out, labels)
        elif op == "insert":
            _whole(b[b1:b2], "ins", out, labels)
        else:
            _replace(a[a1:a2], b[b1:b2], out, labels)


def _replace(a: Sequence[_Unit], b: Sequence[_Unit], out: list[str], labels: Labels) -> None:
    """Pair elements of the same kind and compare inside them; mark the rest whole."""
    kinds = SequenceMatcher(None, [_kind(u) for u in a], [_kind(u) for u in b], autojunk=False)
    for op, a1, a2, b1, b2 in kinds.get_opcodes():
        if op != "equal":
            _whole(a[a1:a2], "del", out, labels)
            _whole(b[b1:b2], "ins", out, labels)
            continue
        words_a: list[_Unit] = []
        words_b: list[_Unit] = []
        for old, new in zip(a[a1:a2], b[b1:b2], strict=True):
            if isinstance(old, _Element) and isinstance(new, _Element):
                _whole(words_a, "del", out, labels)
                _whole(words_b, "ins", out, labels)
                words_a, words_b = [], []
                out.append(new.open)
                _diff(old.children, new.children, out, labels)
                out.append(new.close)
            else:
                words_a.append(old)
                words_b.append(new)
        _whole(words_a, "del", out, labels)
        _whole(words_b, "ins", out, labels)


def _kind(unit: _Unit) -> str:
    """Elements pair with elements of the same name; text with text."""
    return f"<{unit.name}>" if isinstance(unit, _Element) else "text"


def _whole(units: Sequence[_Unit], tag: str, out: list[str], labels: Labels) -> None:
    """Mark every word of ``units`` with ``tag``, keeping their elements."""
    start, end = (escape(label) for label in labels[tag])
    words: list[str] = []

    def flush() -> None:
        text = "".join(words)
        if text.strip():
            out.append(
                f'<{tag}><span class="visually-hidden">{start} </span>{text}'
                f'<span class="visually-hidden"> {end}</span></{tag}>'
            )
        else:
            out.append(text)
        words.clear()

    for unit in units:
        if isinstance(unit, _Element):
            flush()
            out.append(unit.open)
            _whole(unit.children, tag, out, labels)
            out.append(unit.close)
        elif unit.startswith("<"):  # a void tag
            flush()
            out.append(unit)
        else:
            words.append(unit)
    flush()
