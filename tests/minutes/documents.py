"""Writing in stored minutes from a test, as a note-taker's editor would."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, XmlFragment, XmlText

from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import FRAGMENT, load_doc, plain_text, render_html


def write(minutes: Minutes, text: str, *, item: int = 0, marks: Any = None, author=None) -> None:
    """Set the paragraph under agenda item ``item`` to ``text``; store the update."""
    doc = load_doc(store.load_document(minutes.pk).blobs())
    before = doc.get_state()
    paragraph = doc.get(FRAGMENT, type=XmlFragment).children[2 * item + 1]
    with doc.transaction():
        if not paragraph.children:
            paragraph.children.append(XmlText())
        run = paragraph.children[0]
        if len(run):  # pycrdt counts UTF-8 bytes
            del run[0 : len(run)]
        run.insert(0, text, marks)
    store.append_updates(minutes.pk, [(doc.get_update(before), author.pk if author else None)])


def current_text(minutes: Minutes) -> str:
    return plain_text(load_doc(store.load_document(minutes.pk).blobs()))


def current_html(minutes: Minutes) -> str:
    return render_html(load_doc(store.load_document(minutes.pk).blobs()))


def new_doc_with(*runs: tuple[str, Any]) -> Doc:
    """A document of one paragraph made of text runs with their marks."""
    from pycrdt import XmlElement

    doc: Doc = Doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    text = XmlText()
    fragment.children.append(XmlElement("paragraph", None, [text]))
    offset = 0
    for chunk, marks in runs:
        text.insert(offset, chunk, marks)
        offset += len(chunk.encode())
    return doc
