"""The minutes as a Yjs document: the skeleton, applying updates, rendering HTML.

The content lives in one ``Y.XmlFragment`` named ``default`` (TipTap's Collaboration
extension binds that field), in the shape y-prosemirror gives ProseMirror nodes: an
``XmlElement`` per node named after its type (``heading`` with a numeric ``level``
attribute, ``paragraph``, ``bulletList``, ``table``...), ``XmlText`` for text with
marks as formatting attributes (``{"bold": {}}``, ``{"link": {"href": ...}}``).

For example, the skeleton of a two-item agenda, as the editor then shows it::

    <heading level="2">Accueil</heading><paragraph></paragraph>
    <heading level="2">Budget</heading><paragraph></paragraph>

``render_html`` writes HTML from an allowlist of node and mark types, escaping every
text and attribute: nothing in the document reaches the page as markup.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import urlsplit

from django.utils.html import escape
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

logger = logging.getLogger(__name__)

#: The Y.XmlFragment TipTap's Collaboration extension edits (its ``field`` option).
FRAGMENT = "default"


class UpdateRejected(ValueError):
    """An update that the document could not decode or integrate."""


def new_doc() -> Doc:
    doc: Doc = Doc()
    doc.get(FRAGMENT, type=XmlFragment)
    return doc


def apply_update(doc: Doc, update: bytes) -> None:
    """Apply ``update`` to ``doc``, or raise ``UpdateRejected`` and leave it unharmed.

    yrs decodes the whole update before integrating anything, so a malformed one
    changes nothing. The Rust side reports bad input as ``ValueError`` or
    ``RuntimeError``; a Rust panic surfaces as pyo3's ``PanicException``, which
    derives from ``BaseException``, so it is matched by name here.
    """
    try:
        doc.apply_update(update)
    except (ValueError, RuntimeError) as exc:
        raise UpdateRejected(str(exc)) from None
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            raise UpdateRejected(str(exc)) from None
        raise


def load_doc(updates: Iterable[bytes]) -> Doc:
    """Build a document from a snapshot and updates (skipping any that fail)."""
    doc = new_doc()
    for update in updates:
        try:
            apply_update(doc, update)
        except UpdateRejected:  # stored updates were validated; never expected
            logger.exception("a stored minutes update could not be applied")
    return doc


def skeleton_update(titles: Iterable[str]) -> bytes:
    """The skeleton as one update: a level-2 heading and an empty paragraph per item."""
    doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    with doc.transaction():
        for title in titles:
            # A number, as ProseMirror's heading ``level`` (pycrdt's stubs say str).
            level = cast(dict[str, str], {"level": 2})
            fragment.children.append(XmlElement("heading", level, [XmlText(title)]))
            fragment.children.append(XmlElement("paragraph"))
    return doc.get_update()


# -- rendering ---------------------------------------------------------------------------

#: ProseMirror node types and the HTML element each becomes.
BLOCKS = {
    "paragraph": "p",
    "blockquote": "blockquote",
    "bulletList": "ul",
    "orderedList": "ol",
    "listItem": "li",
    "codeBlock": "pre",
    "horizontalRule": "hr",
    "hardBreak": "br",
    "table": "table",
    "tableRow": "tr",
    "tableHeader": "th",
    "tableCell": "td",
}
VOID = {"hr", "br"}
#: Marks, outermost first, and their elements.
MARKS = [
    ("link", "a"),
    ("bold", "strong"),
    ("italic", "em"),
    ("underline", "u"),
    ("strike", "s"),
    ("code", "code"),
]
SAFE_SCHEMES = {"http", "https", "mailto"}
#: Headings in the page start below the page's own h1 (the session) and h2.
HEADING_LEVELS = range(2, 7)


def render_html(doc: Doc) -> str:
    """The document as sanitised HTML (an allowlist; everything else is escaped)."""
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    try:
        return "".join(_render_node(child) for child in fragment.children)
    except Exception:  # a document no editor could produce; show what is safe
        logger.exception("could not render minutes")
        return ""


def _render_node(node: Any) -> str:
    if isinstance(node, XmlText):
        return _render_text(node)
    if not isinstance(node, XmlElement):
        return ""
    name = node.tag or ""
    inner = "".join(_render_node(child) for child in node.children)
    if name == "heading":
        level = _heading_level(node.attributes.get("level"))
        return f"<h{level}>{inner}</h{level}>"
    tag = BLOCKS.get(name)
    if tag is None:
        return inner  # an unknown node: keep its text, drop the node
    if tag in VOID:
        return f"<{tag}>"
    if tag == "pre":
        return f"<pre><code>{inner}</code></pre>"
    if tag in {"td", "th"}:
        return f"<{tag}{_span_attributes(node)}>{inner}</{tag}>"
    if tag == "ol":
        start = _int(node.attributes.get("start"), 1)
        return f'<ol start="{start}">{inner}</ol>' if start != 1 else f"<ol>{inner}</ol>"
    if tag == "table":
        return f"<table><tbody>{inner}</tbody></table>"
    return f"<{tag}>{inner}</{tag}>"


def _render_text(node: XmlText) -> str:
    out = []
    for chunk, attributes in node.diff():
        if not isinstance(chunk, str):
            continue  # an embedded object: not part of the minutes' schema
        html: str = escape(chunk)
        marks = attributes or {}
        for name, tag in reversed(MARKS):
            if not any(key == name or key.startswith(f"{name}--") for key in marks):
                continue
            if name == "link":
                href = _safe_href(_mark_attr(marks, "link", "href"))
                if href is None:
                    continue
                html = f'<a href="{escape(href)}" rel="nofollow noopener">{html}</a>'
            else:
                html = f"<{tag}>{html}</{tag}>"
        out.append(html)
    return "".join(out)


def _mark_attr(marks: dict[str, Any], name: str, key: str) -> Any:
    for mark, value in marks.items():
        if (mark == name or mark.startswith(f"{name}--")) and isinstance(value, dict):
            return value.get(key)
    return None


def _safe_href(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in SAFE_SCHEMES else None


def _heading_level(value: Any) -> int:
    level = _int(value, 2)
    return min(max(level, HEADING_LEVELS.start), HEADING_LEVELS.stop - 1)


def _span_attributes(node: XmlElement) -> str:
    out = ""
    for name in ("colspan", "rowspan"):
        span = _int(node.attributes.get(name), 1)
        if 1 < span <= 100:
            out += f' {name}="{span}"'
    return out


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


def plain_text(doc: Doc) -> str:
    """The document's text without markup, a line per block (for tests and exports)."""
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    lines: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, XmlText):
            if not lines:
                lines.append("")
            lines[-1] += "".join(c for c, _ in node.diff() if isinstance(c, str))
        elif isinstance(node, XmlElement):
            if node.tag in {"paragraph", "heading", "tableCell", "tableHeader", "codeBlock"}:
                lines.append("")
            for child in node.children:
                walk(child)

    for child in fragment.children:
        walk(child)
    return "\n".join(lines)
