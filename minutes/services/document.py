"""The minutes as a Yjs document: the skeleton, applying updates, rendering HTML.

The content lives in one ``Y.XmlFragment`` named ``default`` (TipTap's Collaboration
extension binds that field), in the shape y-prosemirror gives ProseMirror nodes: an
``XmlElement`` per node named after its type (``heading`` with a numeric ``level``
attribute, ``paragraph``, ``bulletList``, ``table``...), ``XmlText`` for text with
marks as formatting attributes (``{"bold": {}}``, ``{"link": {"href": ...}}``).

For example, the skeleton of a two-item agenda, as the editor then shows it::

    <heading level="2">Accueil</heading><paragraph></paragraph>
    <heading level="2">Budget</heading><paragraph></paragraph>

``read_tree`` turns the document into plain ``Node`` and ``Text`` values once;
renderers walk that tree with a table of handlers per node type: ``render_html``
here (``HTML_NODES``, an allowlist: every text and attribute is escaped, nothing in
the document reaches the page as markup), the Markdown export in
``minutes.services.export`` (``MARKDOWN_NODES``). A new node type gets a handler
in each table; an unknown one keeps its text and loses its markup.

``replace_passage`` is the one edit the server makes to the text: an accepted
review suggestion, as an ordinary Yjs update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from django.utils.html import escape
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from minutes.services import blocks

logger = logging.getLogger(__name__)

#: The Y.XmlFragment TipTap's Collaboration extension edits (its ``field`` option).
FRAGMENT = "default"


class UpdateRejected(ValueError):
    """An update that the document could not decode or integrate."""


class PassageNotFound(ValueError):
    """A quoted passage that is not in one paragraph of the document exactly once."""

    def __init__(self, found: int) -> None:
        super().__init__(f"the passage occurs {found} times")
        self.found = found


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


def heading_update(doc: Doc, title: str, before: str | None = None) -> bytes:
    """Add an agenda item's heading (and an empty paragraph) to ``doc``: before the
    first level-2 heading whose text is ``before``, else at the end. Returns the
    Yjs update."""
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    children = list(fragment.children)
    index = len(children)
    if before is not None:
        for position, child in enumerate(children):
            if _is_heading(child) and _element_text(child).strip() == before.strip():
                index = position
                break
    state = doc.get_state()
    with doc.transaction():
        level = cast(dict[str, str], {"level": 2})
        fragment.children.insert(index, XmlElement("paragraph"))
        fragment.children.insert(index, XmlElement("heading", level, [XmlText(title)]))
    return doc.get_update(state)


def _is_heading(node: Any) -> bool:
    return isinstance(node, XmlElement) and node.tag == "heading"


def _element_text(node: Any) -> str:
    return "".join(_text_content(text) or "" for text in _texts(node))


# -- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A run of text with its marks: mark name -> the mark's attributes (``{}``)."""

    text: str
    marks: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Node:
    """A ProseMirror node: its type, attributes and children."""

    type: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Node | Text, ...] = ()


def read_tree(doc: Doc) -> list[Node | Text]:
    """The document as plain values, in order (the input of every renderer)."""
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    return [item for child in fragment.children for item in _read(child)]


def _read(node: Any) -> list[Node | Text]:
    if isinstance(node, XmlText):
        return [
            Text(chunk, _marks(attributes))
            for chunk, attributes in node.diff()
            if isinstance(chunk, str)  # an embedded object: not part of the schema
        ]
    if isinstance(node, XmlElement):
        children = tuple(item for child in node.children for item in _read(child))
        attrs = dict(cast(Iterable[tuple[str, Any]], node.attributes))  # pairs, untyped
        return [Node(node.tag or "", attrs, children)]
    return []


def _marks(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """y-prosemirror's formatting attributes as marks: ``link--x1`` is a ``link``."""
    marks: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if value is None:
            continue
        name = key.split("--", 1)[0]
        marks.setdefault(name, value if isinstance(value, dict) else {})
    return marks


def text_of(nodes: Iterable[Node | Text]) -> str:
    """The text of some nodes, without markup or separators."""
    return "".join(n.text if isinstance(n, Text) else text_of(n.children) for n in nodes)


# -- HTML --------------------------------------------------------------------------------

#: ProseMirror node types and the HTML element each becomes (see ``HTML_NODES`` for
#: the types that need more than an element).
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

#: A handler gets the node and its children already rendered; it returns the HTML.
HtmlHandler = Callable[[Node, str], str]


def render_html(doc: Doc) -> str:
    """The document as sanitised HTML (an allowlist; everything else is escaped)."""
    try:
        return render_nodes_html(read_tree(doc))
    except Exception:  # a document no editor could produce; show what is safe
        logger.exception("could not render minutes")
        return ""


def render_nodes_html(nodes: Iterable[Node | Text]) -> str:
    return "".join(_html(node) for node in nodes)


def _html(node: Node | Text) -> str:
    if isinstance(node, Text):
        return _html_text(node)
    inner = render_nodes_html(node.children)
    handler = HTML_NODES.get(node.type)
    if handler is not None:
        return handler(node, inner)
    tag = BLOCKS.get(node.type)
    if tag is None:
        return inner  # an unknown node: keep its text, drop the node
    if tag in VOID:
        return f"<{tag}>"
    return f"<{tag}>{inner}</{tag}>"


def _html_heading(node: Node, inner: str) -> str:
    level = heading_level(node.attrs.get("level"))
    return f"<h{level}>{inner}</h{level}>"


def _html_code_block(node: Node, inner: str) -> str:
    return f"<pre><code>{inner}</code></pre>"


def _html_ordered_list(node: Node, inner: str) -> str:
    start = list_start(node)
    return f'<ol start="{start}">{inner}</ol>' if start != 1 else f"<ol>{inner}</ol>"


def _html_table(node: Node, inner: str) -> str:
    return f"<table><tbody>{inner}</tbody></table>"


def _html_cell(node: Node, inner: str) -> str:
    tag = BLOCKS[node.type]
    return f"<{tag}{_span_attributes(node)}>{inner}</{tag}>"


#: Node types rendered by a function rather than by their ``BLOCKS`` element alone.
HTML_NODES: dict[str, HtmlHandler] = {
    "heading": _html_heading,
    "codeBlock": _html_code_block,
    "orderedList": _html_ordered_list,
    "table": _html_table,
    "tableCell": _html_cell,
    "tableHeader": _html_cell,
    # Decisions, actions, paragraphs with a broadcast time (attributes cleaned there).
    **blocks.HTML_HANDLERS,
}


def _html_text(node: Text) -> str:
    html: str = escape(node.text)
    for name, tag in reversed(MARKS):
        if name not in node.marks:
            continue
        if name == "link":
            href = safe_href(node.marks["link"].get("href"))
            if href is None:
                continue
            html = f'<a href="{escape(href)}" rel="nofollow noopener">{html}</a>'
        else:
            html = f"<{tag}>{html}</{tag}>"
    return html


def safe_href(value: Any) -> str | None:
    """A link target the minutes may carry (http, https, mailto), or None."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in SAFE_SCHEMES else None


def heading_level(value: Any) -> int:
    level = _int(value, 2)
    return min(max(level, HEADING_LEVELS.start), HEADING_LEVELS.stop - 1)


def list_start(node: Node) -> int:
    return max(_int(node.attrs.get("start"), 1), 0)


def _span_attributes(node: Node) -> str:
    out = ""
    for name in ("colspan", "rowspan"):
        span = _int(node.attrs.get(name), 1)
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


#: Blocks that start a line of their own in ``plain_text``.
LINE_BLOCKS = {"paragraph", "heading", "tableCell", "tableHeader", "codeBlock"}


def plain_text(doc: Doc) -> str:
    """The document's text without markup, a line per block (for tests and exports)."""
    lines: list[str] = []

    def walk(node: Node | Text) -> None:
        if isinstance(node, Text):
            if not lines:
                lines.append("")
            lines[-1] += node.text
            return
        if node.type in LINE_BLOCKS:
            lines.append("")
        for child in node.children:
            walk(child)

    for node in read_tree(doc):
        walk(node)
    return "\n".join(lines)


# -- the server's one edit -------------------------------------------------------------------


def replace_passage(doc: Doc, passage: str, replacement: str) -> bytes:
    """Replace ``passage`` with ``replacement`` in ``doc``; return the Yjs update.

    The passage must lie within one text run of one block and occur exactly once
    in the document (else ``PassageNotFound``). The replacement takes the marks of
    the passage's first character. pycrdt counts text offsets in UTF-8 bytes; the
    update itself is offset-free (Yjs items), so Yjs clients apply it as any edit.
    """
    found = find_passage(doc, passage)
    if len(found) != 1:
        raise PassageNotFound(len(found))
    text, index = found[0]
    content = _text_content(text) or ""
    start = len(content[:index].encode())
    end = start + len(passage.encode())
    marks = _attributes_at(text, index)
    before = doc.get_state()
    with doc.transaction():
        if replacement:
            text.insert(end, replacement, marks)
        del text[start:end]
    return doc.get_update(before)


def find_passage(doc: Doc, passage: str) -> list[tuple[XmlText, int]]:
    """Every place ``passage`` occurs (a text run, a character index), in order."""
    if not passage:
        return []
    found = []
    for text in _texts(doc.get(FRAGMENT, type=XmlFragment)):
        content = _text_content(text)
        if content is None:
            continue
        index = content.find(passage)
        while index != -1:
            found.append((text, index))
            index = content.find(passage, index + 1)
    return found


def _texts(node: Any) -> Iterable[XmlText]:
    for child in node.children:
        if isinstance(child, XmlText):
            yield child
        elif isinstance(child, XmlElement):
            yield from _texts(child)


def _text_content(text: XmlText) -> str | None:
    """The run's text, or None when it embeds objects (offsets would not map)."""
    chunks = list(text.diff())
    if not all(isinstance(chunk, str) for chunk, _ in chunks):
        return None
    return "".join(chunk for chunk, _ in chunks)


def _attributes_at(text: XmlText, index: int) -> dict[str, Any] | None:
    offset = 0
    for chunk, attributes in text.diff():
        offset += len(chunk)
        if index < offset:
            return dict(attributes) if attributes else None
    return None
