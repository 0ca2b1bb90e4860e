"""Rendering the minutes as HTML: the rich text survives, nothing else does."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from minutes.services.document import FRAGMENT, new_doc, render_html


def element(tag: str, children: list[Any], **attributes: Any) -> XmlElement:
    return XmlElement(tag, cast(dict[str, str], attributes) or None, children)


def render(*blocks: XmlElement) -> str:
    doc: Doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    for block in blocks:
        fragment.children.append(block)
    return render_html(doc)


def paragraph_with(chunks: list[tuple[str, dict[str, Any] | None]]) -> str:
    doc: Doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    paragraph = fragment.children.append(XmlElement("paragraph", None, [XmlText()]))
    text = paragraph.children[0]
    offset = 0
    for chunk, attributes in chunks:
        text.insert(offset, chunk, attributes)
        offset += len(chunk.encode())
    return render_html(doc)


def test_headings_lists_emphasis_links_and_tables_render():
    html = render(
        element("heading", [XmlText("Budget")], level=3),
        element("bulletList", [element("listItem", [element("paragraph", [XmlText("un")])])]),
        element(
            "table",
            [
                element(
                    "tableRow", [element("tableHeader", [element("paragraph", [XmlText("A")])])]
                ),
                element(
                    "tableRow",
                    [element("tableCell", [element("paragraph", [XmlText("1")])], colspan=2)],
                ),
            ],
        ),
    )
    assert html == (
        "<h3>Budget</h3><ul><li><p>un</p></li></ul>"
        "<table><tbody><tr><th><p>A</p></th></tr>"
        '<tr><td colspan="2"><p>1</p></td></tr></tbody></table>'
    )
    marked = paragraph_with(
        [
            ("gras", {"bold": {}}),
            (" et ", None),
            ("lien", {"link": {"href": "https://ex.org/a?b=1&c"}}),
        ]
    )
    assert marked == (
        "<p><strong>gras</strong> et "
        '<a href="https://ex.org/a?b=1&amp;c" rel="nofollow noopener">lien</a></p>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '"><svg onload=alert(1)>',
    ],
)
def test_text_is_escaped(text):
    html = render(element("paragraph", [XmlText(text)]))
    for tag in ("<script", "<img", "<svg"):
        assert tag not in html
    assert html.startswith("<p>&")


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,<b>", "vbscript:x", 42]
)
def test_unsafe_links_lose_their_link(href):
    html = paragraph_with([("clic", {"link": {"href": href}})])
    assert html == "<p>clic</p>"


def test_unknown_nodes_and_odd_attributes_are_dropped():
    html = render(
        element("script", [XmlText("alert(1)")]),
        element("heading", [XmlText("x")], level='2 onclick="alert(1)"'),
        element("iframe", [element("paragraph", [XmlText("dedans")])]),
    )
    assert html == "alert(1)<h2>x</h2><p>dedans</p>"
