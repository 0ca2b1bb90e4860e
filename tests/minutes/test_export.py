"""Exports of published minutes: Markdown, a standalone HTML document, PDF."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from markdown_it import MarkdownIt
from pycrdt import Doc, XmlElement, XmlFragment, XmlText
from pypdf import PdfReader

from minutes.models import Minutes, MinutesVersion
from minutes.services import store, workflow
from minutes.services.document import FRAGMENT, read_tree, render_html
from minutes.services.export import escape_inline, export_markdown, to_markdown
from tests.minutes.documents import write


def paragraph(*runs: tuple[str, dict[str, Any] | None]) -> tuple[str, list]:
    return ("paragraph", list(runs))


def build(*blocks: Any) -> Doc:
    """A document from blocks: (type, text runs or child blocks[, attributes]).

    A text run is (text, marks); marks are y-prosemirror's ({"bold": {}}).
    """
    doc: Doc = Doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)

    def add(parent: Any, block: Any) -> None:
        kind, content, *rest = block
        attributes = rest[0] if rest else None
        node = parent.children.append(XmlElement(kind, attributes))
        if content and not isinstance(content[0][1], list):  # text runs, not blocks
            run = node.children.append(XmlText())
            offset = 0
            for chunk, marks in content:
                run.insert(offset, chunk, marks)
                offset += len(chunk.encode())
        else:
            for child in content:
                add(node, child)

    for block in blocks:
        add(fragment, block)
    return doc


def markdown_of(doc: Doc) -> str:
    return to_markdown(read_tree(doc))


def as_html(markdown: str) -> str:
    """What a CommonMark reader (markdown-it, with tables and strikethrough) shows."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def test_headings_lists_emphasis_links_tables_and_quotes_read_back_the_same():
    doc = build(
        ("heading", [("Budget 2025", None)], {"level": 2}),
        paragraph(
            ("Adopté ", None),
            ("à l’unanimité", {"bold": {}}),
            (", voir ", None),
            ("le devis", {"link": {"href": "https://ville.example/devis (v2).pdf"}}),
            (" et ", None),
            ("surtout", {"italic": {}, "bold": {}}),
            (".", None),
        ),
        (
            "bulletList",
            [("listItem", [paragraph(("un", None))]), ("listItem", [paragraph(("deux", None))])],
        ),
        ("orderedList", [("listItem", [paragraph(("premier", None))])], {"start": 3}),
        ("blockquote", [paragraph(("Cité tel quel.", None))]),
        (
            "table",
            [
                (
                    "tableRow",
                    [
                        ("tableHeader", [paragraph(("Poste", None))]),
                        ("tableHeader", [paragraph(("Montant", None))]),
                    ],
                ),
                (
                    "tableRow",
                    [
                        ("tableCell", [paragraph(("Voirie | trottoirs", None))]),
                        ("tableCell", [paragraph(("12 000 €", None))]),
                    ],
                ),
            ],
        ),
        paragraph(
            ("code ", None), ("a`b", {"code": {}}), (" et ", None), ("barré", {"strike": {}})
        ),
    )

    markdown = markdown_of(doc)
    html = squeeze(as_html(markdown))

    assert markdown.startswith(
        "## Budget 2025\n\nAdopté **à l’unanimité**, voir [le devis](<https://"
    )
    assert "<h2>Budget 2025</h2>" in html
    assert "<strong>à l’unanimité</strong>" in html
    assert '<a href="https://ville.example/devis%20(v2).pdf">le devis</a>' in html
    assert (
        "<em><strong>surtout</strong></em>" in html or "<strong><em>surtout</em></strong>" in html
    )
    assert "<ul><li>un</li><li>deux</li></ul>" in html
    assert '<ol start="3"><li>premier</li></ol>' in html
    assert "<blockquote><p>Cité tel quel.</p></blockquote>" in html
    assert "<th>Poste</th><th>Montant</th>" in html
    assert "<td>Voirie | trottoirs</td><td>12 000 €</td>" in html
    assert "<code>a`b</code>" in html
    assert "<s>barré</s>" in html or "<del>barré</del>" in html


@pytest.mark.parametrize(
    "words",
    [
        "*pas en italique* et _pas non plus_",
        "# pas un titre",
        "- pas une liste",
        "1. pas numéroté",
        "[pas un lien](https://x.example)",
        "<b>pas du HTML</b> &amp; pas une entité",
        "a | b ~~c~~ `d` \\ e",
    ],
)
def test_text_reads_back_as_text(words):
    html = squeeze(as_html(markdown_of(build(paragraph((words, None))))))

    assert html == f"<p>{render_html(build(paragraph((words, None))))[3:-4]}</p>"


def test_unsafe_links_lose_their_link_in_markdown_too():
    markdown = markdown_of(build(paragraph(("clic", {"link": {"href": "javascript:alert(1)"}}))))

    assert markdown == "clic\n"


def test_marks_go_around_words_not_their_spaces():
    markdown = markdown_of(build(paragraph(("Un ", None), ("gras ", {"bold": {}}), ("ici", None))))

    assert markdown == "Un **gras** ici\n"
    assert squeeze(as_html(markdown)) == "<p>Un <strong>gras</strong> ici</p>"


def test_unknown_blocks_keep_their_text():
    markdown = markdown_of(build(("mystery", [paragraph(("gardé", None))])))

    assert markdown == "gardé\n"


def test_escape_inline_escapes_what_markdown_would_read():
    assert escape_inline("2 * 3 [x] <y> a_b") == "2 \\* 3 \\[x\\] \\<y\\> a\\_b"


# -- downloads -----------------------------------------------------------------------------


@pytest.fixture
def published(session, organiser) -> Minutes:
    minutes = store.ensure_minutes(session.pk, user=organiser)
    write(minutes, "Le budget est adopté à 11 voix.", marks={"bold": {}})
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)
    return workflow.publish_minutes(session.pk, user=organiser)


@pytest.mark.django_db
def test_markdown_of_a_version_has_a_title_its_approval_and_the_text(published, session):
    version = MinutesVersion.objects.get(minutes=published)

    with translation.override("en"):
        markdown = export_markdown(version)

    assert markdown.startswith(
        f"# Minutes: {session.title}\n\n*Version 1, approved by Organisatrice"
    )
    assert "## Point 1\n\n**Le budget est adopté à 11 voix.**\n\n## Point 2" in markdown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("md", "text/markdown"), ("html", "text/html"), ("pdf", "application/pdf")],
)
def test_each_format_downloads_from_the_published_page(published, session, fmt, content_type):
    page = Client().get(f"/sessions/{session.pk}/minutes/").content.decode()
    url = f"/sessions/{session.pk}/minutes/versions/1/minutes.{fmt}"
    assert f'href="{url}"' in page

    response = Client().get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == (
        f'attachment; filename="minutes-{session.pk}-v1.{fmt}"'
    )


@pytest.mark.django_db
def test_the_html_download_is_a_standalone_document(published, session):
    html = Client().get(f"/sessions/{session.pk}/minutes/versions/1/minutes.html").content.decode()

    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    assert "<strong>Le budget est adopté à 11 voix.</strong>" in html
    assert 'rel="stylesheet"' not in html  # nothing to fetch: it reads offline
    assert "<script" not in html


@pytest.mark.django_db
def test_the_pdf_holds_the_text(published, session):
    response = Client().get(f"/sessions/{session.pk}/minutes/versions/1/minutes.pdf")

    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    content = " ".join(page.extract_text() for page in reader.pages)
    assert session.title in content
    assert "Le budget est adopté à 11 voix." in content
    assert "Point 1" in content


@pytest.mark.django_db
def test_a_version_is_printed_once_then_served_as_printed(published, session):
    url = f"/sessions/{session.pk}/minutes/versions/1/minutes.pdf"
    first = Client().get(url).content
    html = Client().get(f"/sessions/{session.pk}/minutes/versions/1/minutes.html").content

    assert cache.get("minutes-pdf:" + hashlib.sha256(html).hexdigest()) == first
    assert Client().get(url).content == first


@pytest.mark.django_db
def test_an_unknown_format_or_version_is_not_found(published, session):
    client = Client()
    assert client.get(f"/sessions/{session.pk}/minutes/versions/1/minutes.docx").status_code == 404
    assert client.get(f"/sessions/{session.pk}/minutes/versions/2/minutes.md").status_code == 404
