"""Storing the minutes: the skeleton once, the log, compaction, locking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pycrdt import Doc, XmlFragment, XmlText

from minutes.exceptions import MinutesLocked, NotAllowed
from minutes.models import Minutes, MinutesSnapshot, MinutesUpdate
from minutes.services import store
from minutes.services.document import FRAGMENT, load_doc, plain_text, render_html
from tests import factories

pytestmark = pytest.mark.django_db


def edit(state: bytes, text: str) -> bytes:
    """An update appending ``text`` to the first paragraph, made on a copy."""
    doc: Doc = Doc()
    doc.apply_update(state)
    before = doc.get_state()
    paragraph = doc.get(FRAGMENT, type=XmlFragment).children[1]
    if not paragraph.children:
        paragraph.children.append(XmlText())
    paragraph.children[0].insert(0, text)
    return doc.get_update(before)


def text_of(minutes: Minutes) -> str:
    return plain_text(load_doc(store.load_document(minutes.pk).blobs()))


def test_the_skeleton_is_a_heading_and_a_paragraph_per_agenda_item(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)

    doc = load_doc(store.load_document(minutes.pk).blobs())
    assert render_html(doc) == (
        "<h2>Point 1</h2><p></p><h2>Point 2</h2><p></p><h2>Point 3</h2><p></p>"
    )
    heading = doc.get(FRAGMENT, type=XmlFragment).children[0]
    assert heading.tag == "heading"
    assert heading.attributes["level"] == 2  # a number, as ProseMirror's attribute


def test_the_skeleton_is_written_once(session, participant):
    first = store.ensure_minutes(session.pk, user=participant)
    again = store.ensure_minutes(session.pk, user=factories.make_user())

    assert first.pk == again.pk
    assert MinutesUpdate.objects.filter(minutes=first).count() == 1


def test_a_missing_session_is_not_allowed(db, participant):
    with pytest.raises(NotAllowed):
        store.ensure_minutes(424242, user=participant)


def test_updates_are_appended_in_order_and_loaded_back(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    state = store.document_state(minutes.pk)
    first = edit(state, "Bonjour. ")
    ids = store.append_updates(minutes.pk, [(first, participant.pk)])
    second = edit(store.document_state(minutes.pk), "Encore. ")
    ids += store.append_updates(minutes.pk, [(second, None)])

    stored = store.load_document(minutes.pk)
    assert [pk for pk, _ in stored.updates][-2:] == ids
    assert ids[0] < ids[1]
    assert "Encore. Bonjour. " in text_of(minutes)
    assert MinutesUpdate.objects.get(pk=ids[0]).author == participant


def test_compaction_keeps_the_document_and_the_log_and_shortens_loading(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    for n in range(30):
        update = edit(store.document_state(minutes.pk), f"{n} ")
        store.append_updates(minutes.pk, [(update, None)])
    before = text_of(minutes)

    snapshot = store.compact_minutes(minutes.pk, older_than=timedelta(0))

    assert snapshot is not None
    assert text_of(minutes) == before
    assert MinutesUpdate.objects.filter(minutes=minutes).count() == 31  # the history
    assert store.load_document(minutes.pk).snapshot_upto == snapshot.upto
    assert store.load_document(minutes.pk).updates == []
    assert store.compact_minutes(minutes.pk, older_than=timedelta(0)) is None  # nothing new


def test_compaction_leaves_recent_updates_in_the_log(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    store.append_updates(minutes.pk, [(edit(store.document_state(minutes.pk), "x"), None)])

    assert store.compact_minutes(minutes.pk) is None  # all younger than COMPACT_AGE
    assert MinutesUpdate.objects.filter(minutes=minutes).count() == 2


def test_old_snapshots_are_pruned(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    for n in range(store.SNAPSHOTS_KEPT + 3):
        store.append_updates(minutes.pk, [(edit(store.document_state(minutes.pk), f"{n}"), None)])
        store.compact_minutes(minutes.pk, older_than=timedelta(0))

    assert MinutesSnapshot.objects.filter(minutes=minutes).count() == store.SNAPSHOTS_KEPT
    assert text_of(minutes).startswith("Point 1\n7654321")


def test_updates_after_brings_a_newer_snapshot_when_the_log_was_compacted(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    seen = store.load_document(minutes.pk).last_id
    store.append_updates(minutes.pk, [(edit(store.document_state(minutes.pk), "a"), None)])
    store.compact_minutes(minutes.pk, older_than=timedelta(0))
    store.append_updates(minutes.pk, [(edit(store.document_state(minutes.pk), "b"), None)])

    missed = store.updates_after(minutes.pk, seen)

    assert missed.snapshot is not None
    assert len(missed.updates) == 1
    assert "ba" in plain_text(load_doc(missed.blobs()))


def test_nothing_is_appended_once_the_minutes_are_approved(session, participant):
    minutes = store.ensure_minutes(session.pk, user=participant)
    Minutes.objects.filter(pk=minutes.pk).update(status=Minutes.Status.APPROVED)

    with pytest.raises(MinutesLocked):
        store.append_updates(minutes.pk, [(edit(store.document_state(minutes.pk), "x"), None)])
