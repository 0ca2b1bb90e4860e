"""Exports of published minutes: Markdown, a standalone HTML document, PDF.

Each export is of one frozen version (``MinutesVersion``), so a download never
changes once the version is published. For example::

    version = minutes.versions.get(number=2)
    export_markdown(version)   # "# Minutes: Comité…\n\n*Version 2, approved by…*\n\n## Point 1…"
    export_html(version)       # <!DOCTYPE html> with its own print stylesheet
    export_pdf(version)        # that document through WeasyPrint

Markdown is written from the version's document state with the same tree as the
HTML (``minutes.services.document.read_tree``), through ``MARKDOWN_NODES``: one
handler per node type, next to ``document.HTML_NODES``. A new node type gets a
handler in both tables; an unknown one keeps its content as paragraphs. Text is
escaped so that it reads back as text (CommonMark backslash escapes), and links
keep only the targets the HTML allows.

PDF takes a second or so of CPU for long minutes: the view reads the version on
the request thread, then prints (``html_to_pdf``) in a worker thread of its own.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext

from minutes.models import MinutesVersion
from minutes.services import blocks
from minutes.services.document import (
    Node,
    Text,
    heading_level,
    list_start,
    load_doc,
    read_tree,
    safe_href,
    text_of,
)

#: What each format is served as.
FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


def export_markdown(version: MinutesVersion) -> str:
    """The version as a Markdown document: a title, who approved it, the text."""
    session = version.minutes.session
    title = gettext("Minutes: %(title)s") % {"title": session.title}
    lines = [f"# {escape_inline(title)}", "", f"*{escape_inline(_byline(version))}*", ""]
    body = to_markdown(read_tree(load_doc([bytes(version.state)]))) if version.state else ""
    return "\n".join(lines) + "\n" + body


def export_html(version: MinutesVersion) -> str:
    """The version as one standalone HTML document (its stylesheet inside)."""
    session = version.minutes.session
    return render_to_string(
        "minutes/export.html",
        {"version": version, "session": session, "byline": _byline(version)},
    )


def export_pdf(version: MinutesVersion) -> bytes:
    """The standalone HTML document printed to PDF."""
    return html_to_pdf(export_html(version))


#: How long a printed PDF is kept (a version never changes; its HTML is the key).
PDF_TTL_SECONDS = 7 * 24 * 3600
# Printing takes about a second of CPU: one at a time per process, so a crowd of
# downloads (or someone asking in a loop) queues instead of starving the sockets.
_printing = threading.Lock()


def pdf_of(html: str) -> bytes:
    """The PDF of a standalone document, printed once and then kept in the cache
    (shared by the processes with Redis), keyed by the document's own text."""
    key = "minutes-pdf:" + hashlib.sha256(html.encode()).hexdigest()
    pdf: bytes | None = cache.get(key)
    if pdf is None:
        with _printing:
            pdf = cache.get(key)  # printed meanwhile by the request we waited for
            if pdf is None:
                pdf = html_to_pdf(html)
                cache.set(key, pdf, PDF_TTL_SECONDS)
    return pdf


def html_to_pdf(html: str) -> bytes:
    """Print a standalone HTML document with WeasyPrint (no database, no network)."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """The document is self-contained: fetch nothing (not even a link's target)."""
    raise ValueError(f"not fetched: {url}")


def filename(version: MinutesVersion, extension: str) -> str:
    """``minutes-<session id>-v<n>.<ext>``: ASCII, so any browser saves it as is."""
    return f"minutes-{version.minutes.session_id}-v{version.number}.{extension}"


def _byline(version: MinutesVersion) -> str:
    published = formats.date_format(version.published_at, "DATE_FORMAT")
    if version.approved_at is None:
        return gettext("Version %(number)s, published on %(date)s.") % {
            "number": version.number,
            "date": published,
        }
    approver = version.approved_by.public_name if version.approved_by else gettext("an organiser")
    return gettext(
        "Version %(number)s, approved by %(name)s on %(approved)s, published on %(date)s."
    ) % {
        "number": version.number,
        "name": approver,
        "approved": formats.date_format(version.approved_at, "DATE_FORMAT"),
        "date": published,
    }


# -- Markdown ------------------------------------------------------------------------------

#: A handler renders one block node as Markdown (lines without a trailing newline).
MarkdownHandler = Callable[[Node], str]


def to_markdown(nodes: Iterable[Node | Text]) -> str:
    """Blocks as Markdown, separated by blank lines."""
    return "".join(f"{block}\n\n" for block in _blocks(nodes)).rstrip("\n") + "\n"


def _blocks(nodes: Iterable[Node | Text]) -> list[str]:
    out: list[str] = []
    loose: list[Node | Text] = []  # text directly under a block container
    for node in nodes:
        if isinstance(node, Text) or node.type == "hardBreak":
            loose.append(node)
            continue
        if loose:
            out.append(_line_start(inline(loose)))
            loose = []
        handler = MARKDOWN_NODES.get(node.type, _md_unknown)
        block = handler(node)
        if block.strip():
            out.append(block)
    if loose:
        out.append(_line_start(inline(loose)))
    return out


def _md_paragraph(node: Node) -> str:
    text = _line_start(inline(node.children))
    seconds = blocks.clean_time(node.attrs.get(blocks.TIME))  # a broadcast time
    return text if seconds is None else f"\\[{blocks.format_time(seconds)}\\] {text}".rstrip()


def _md_decision(node: Node) -> str:
    label = escape_inline(gettext("Decision:"))
    return f"**{label}** {inline(node.children)}".rstrip()


def _md_action(node: Node) -> str:
    label = escape_inline(gettext("Action:"))
    owner, due = blocks.action_meta(node)
    parts = [gettext("who: %(owner)s") % {"owner": owner}] if owner else []
    if due is not None:
        parts.append(gettext("by %(date)s") % {"date": blocks.long_date(due)})
    meta = f" ({escape_inline(', '.join(parts))})" if parts else ""
    return f"**{label}** {inline(node.children)}{meta}".rstrip()


def _md_heading(node: Node) -> str:
    text = inline(node.children).replace("\\\n", " ").strip()
    return f"{'#' * heading_level(node.attrs.get('level'))} {text}" if text else ""


def _md_blockquote(node: Node) -> str:
    return _prefix_lines(to_markdown(node.children).rstrip("\n"), "> ", ">")


def _md_bullet_list(node: Node) -> str:
    return "\n".join(_md_item(item, "- ") for item in _items(node))


def _md_ordered_list(node: Node) -> str:
    start = list_start(node)
    return "\n".join(
        _md_item(item, f"{number}. ") for number, item in enumerate(_items(node), start)
    )


def _items(node: Node) -> list[Node]:
    return [child for child in node.children if isinstance(child, Node)]


def _md_item(item: Node, marker: str) -> str:
    content = to_markdown(item.children).rstrip("\n") if item.children else ""
    lines = content.split("\n")
    indent = " " * len(marker)
    rest = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return "\n".join([f"{marker}{lines[0]}".rstrip(), *rest])


def _md_code_block(node: Node) -> str:
    code = text_of(node.children)
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def _md_rule(node: Node) -> str:
    return "---"


def _md_table(node: Node) -> str:
    rows = [
        [_md_cell(cell) for cell in _items(row)] for row in _items(node) if row.type == "tableRow"
    ]
    rows = [row for row in rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = [_md_row(rows[0]), _md_row(["---"] * width)]
    lines += [_md_row(row) for row in rows[1:]]
    return "\n".join(lines)


def _md_cell(cell: Node) -> str:
    parts = [inline(child.children) if isinstance(child, Node) else "" for child in cell.children]
    text = " ".join(part.replace("\\\n", " ") for part in parts if part.strip())
    return text.replace("|", "\\|")


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_unknown(node: Node) -> str:
    """A node this exporter does not know: its content, as blocks."""
    return to_markdown(node.children).rstrip("\n")


#: Block node types and how each is written in Markdown.
MARKDOWN_NODES: dict[str, MarkdownHandler] = {
    "paragraph": _md_paragraph,
    "heading": _md_heading,
    "blockquote": _md_blockquote,
    "bulletList": _md_bullet_list,
    "orderedList": _md_ordered_list,
    "codeBlock": _md_code_block,
    "horizontalRule": _md_rule,
    "table": _md_table,
    blocks.DECISION: _md_decision,
    blocks.ACTION: _md_action,
}

# -- inline text -------------------------------------------------------------------------

#: Marks that Markdown writes around text, outermost first, with their delimiters.
INLINE_MARKS = [("bold", "**"), ("italic", "*"), ("strike", "~~")]
_ESCAPED = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")


def escape_inline(text: str) -> str:
    """Text that Markdown shows as written (no emphasis, links, HTML or entities)."""
    return _ENTITY.sub(r"\\&", _ESCAPED.sub(r"\\\1", text))


def _line_start(text: str) -> str:
    """Escape what would start a heading, list, quote or rule at a line's start."""
    lines = text.split("\n")
    return "\n".join(_BLOCK_START.sub(_escape_start, line) for line in lines)


def _escape_start(match: re.Match[str]) -> str:
    lead, start = match.group(1), match.group(2)
    if start[-1] in ".)":
        return f"{lead}{start[:-1]}\\{start[-1]}"
    return f"{lead}\\{start}"


def inline(nodes: Iterable[Node | Text]) -> str:
    """Text runs and hard breaks as Markdown, marks opened and closed around words.

    Delimiters go around the words, not their surrounding spaces (``**a** b``,
    never ``**a **b``, which CommonMark would not read as emphasis).
    """
    out: list[str] = []
    open_marks: list[tuple[str, Any]] = []  # (mark, link target) from the outside in
    pending = ""  # spaces after the last word, written once we know what closes

    def close_to(depth: int) -> None:
        while len(open_marks) > depth:
            name, href = open_marks.pop()
            out.append(f"]({_md_href(href)})" if name == "link" else dict(INLINE_MARKS)[name])

    for item in nodes:
        if isinstance(item, Node) and item.type == "hardBreak":
            close_to(0)
            out.append(pending + "\\\n")
            pending = ""
            continue
        # An inline node this exporter does not know keeps its text.
        node = item if isinstance(item, Text) else Text(text_of(item.children))
        wanted = _wanted_marks(node)
        stripped = node.text.strip()
        if not stripped:
            pending += node.text
            continue
        lead = node.text[: len(node.text) - len(node.text.lstrip())]
        trail = node.text[len(node.text.rstrip()) :]
        common = 0
        while common < min(len(open_marks), len(wanted)) and open_marks[common] == wanted[common]:
            common += 1
        close_to(common)
        out.append(pending + lead)
        for name, href in wanted[common:]:
            out.append("[" if name == "link" else dict(INLINE_MARKS)[name])
            open_marks.append((name, href))
        out.append(_code_span(stripped) if "code" in node.marks else escape_inline(stripped))
        pending = trail
    close_to(0)
    out.append(pending)
    return "".join(out).strip(" ")


def _wanted_marks(node: Text) -> list[tuple[str, Any]]:
    wanted: list[tuple[str, Any]] = []
    href = safe_href(node.marks["link"].get("href")) if "link" in node.marks else None
    if href is not None:
        wanted.append(("link", href))
    wanted += [(name, None) for name, _ in INLINE_MARKS if name in node.marks]
    return wanted


def _md_href(href: str) -> str:
    if re.search(r"[\s()<>]", href):
        return "<" + href.replace("<", "%3C").replace(">", "%3E") + ">"
    return href


def _code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _prefix_lines(text: str, prefix: str, empty: str) -> str:
    return "\n".join(f"{prefix}{line}" if line else empty for line in text.split("\n"))
