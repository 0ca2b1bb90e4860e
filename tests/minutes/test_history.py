"""The minutes' history: revisions from the log, who wrote what, restoring a revision."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from pycrdt import Doc, XmlFragment, XmlText

from accounts.models import User
from assemblies.models import AuditEntry
from minutes.exceptions import InvalidUpdate, MinutesLocked, NotAllowed
from minutes.models import Minutes, MinutesSnapshot, MinutesUpdate
from minutes.services import history, store
from minutes.services.document import FRAGMENT, load_doc, plain_text
from tests import factories

pytestmark = pytest.mark.django_db


class Writer:
    """A note-taker's browser tab: its own Yjs document (its own client id)."""

    def __init__(self, minutes: Minutes, user: User | None) -> None:
        self.minutes = minutes
        self.user = user
        self.doc: Doc = Doc()

    @property
    def client(self) -> int:
        return self.doc.client_id

    def change(self, block: int, *, insert: str = "", delete: str = "") -> bytes:
        """An update made on this tab, after catching up with the stored document."""
        self.doc.apply_update(store.document_state(self.minutes.pk))
        before = self.doc.get_state()
        element = self.doc.get(FRAGMENT, type=XmlFragment).children[block]
        if not element.children:
            element.children.append(XmlText())
        text = element.children[0]
        if delete:
            start = str(text).index(delete)
            del text[start : start + len(delete)]
        if insert:
            text.insert(len(text), insert)
        return self.doc.get_update(before)

    def write(self, block: int, text: str, *, at: timedelta | None = None) -> int:
        """Type ``text`` at the end of block ``block``; stored, dated ``at`` after the start."""
        [pk] = store.append_updates(
            self.minutes.pk, [(self.change(block, insert=text), self.user and self.user.pk)]
        )
        if at is not None:
            MinutesUpdate.objects.filter(pk=pk).update(created_at=start_of(self.minutes) + at)
        return pk


def start_of(minutes: Minutes) -> datetime:
    return MinutesUpdate.objects.filter(minutes=minutes).order_by("pk").first().created_at


def text_of(minutes: Minutes) -> str:
    return plain_text(load_doc(store.load_document(minutes.pk).blobs()))


def text_at(minutes: Minutes, upto: int) -> str:
    return plain_text(load_doc([history.revision_content(minutes.pk, upto).state]))


@pytest.fixture
def minutes(session, participant) -> Minutes:
    return store.ensure_minutes(session.pk, user=participant)


@pytest.fixture
def awa(session) -> User:
    return factories.make_note_taker(session, username="awa", display_name="Awa")


@pytest.fixture
def paul(session) -> User:
    return factories.make_note_taker(session, username="paul", display_name="Paul")


def test_revisions_are_stretches_of_editing_cut_at_pauses(minutes, awa, paul):
    a, p = Writer(minutes, awa), Writer(minutes, paul)
    a.write(1, "Ouverture. ", at=timedelta(seconds=10))
    a.write(1, "Accueil. ", at=timedelta(seconds=15))
    second = p.write(3, "Budget.", at=timedelta(seconds=20))
    third = a.write(5, "Questions.", at=timedelta(seconds=100))  # after a pause

    revisions = history.list_revisions(minutes.pk).revisions

    assert [r.authors for r in revisions] == [
        (history.AGENDA,),
        (f"u{awa.pk}", f"u{paul.pk}"),
        (f"u{awa.pk}",),
    ]
    assert [r.upto for r in revisions][1:] == [second, third]
    assert revisions[1].ended_at - revisions[1].started_at == timedelta(seconds=10)


def test_a_revision_spans_at_most_a_minute_of_steady_typing(minutes, awa):
    a = Writer(minutes, awa)
    for second in range(0, 150, 10):
        a.write(1, f"{second} ", at=timedelta(seconds=second + 1))

    revisions = history.list_revisions(minutes.pk).revisions[1:]

    assert len(revisions) == 3
    assert all(r.ended_at - r.started_at <= history.SPAN for r in revisions)


def test_authors_are_named_and_coloured_in_order_of_first_edit(minutes, awa, paul):
    Writer(minutes, paul).write(1, "Paul.")
    Writer(minutes, awa).write(3, "Awa.")

    authors = history.list_revisions(minutes.pk).authors

    assert list(authors) == [history.AGENDA, f"u{paul.pk}", f"u{awa.pk}"]
    assert authors[f"u{paul.pk}"].name == "Paul"
    assert [a.colour for a in authors.values()] == [None, 0, 1]


def test_a_revision_is_the_document_as_it_was_with_each_client_mapped_to_its_writer(
    minutes, awa, paul
):
    a, p = Writer(minutes, awa), Writer(minutes, paul)
    a.write(1, "Ouverture.")
    early = p.write(3, "Budget.")
    a.write(1, " Ajout tardif.")

    content = history.revision_content(minutes.pk, early)

    text = plain_text(load_doc([content.state]))
    assert "Ouverture." in text
    assert "Budget." in text
    assert "Ajout tardif." not in text
    assert content.clients[a.client] == f"u{awa.pk}"
    assert content.clients[p.client] == f"u{paul.pk}"
    assert history.AGENDA in content.clients.values()


def test_the_history_survives_compaction(minutes, awa):
    a = Writer(minutes, awa)
    early = a.write(1, "Premier jet.")
    for n in range(5):
        a.write(3, f"{n}")
    store.compact_minutes(minutes.pk, older_than=timedelta(0))
    a.write(1, " Suite.")

    assert MinutesSnapshot.objects.filter(minutes=minutes).exists()
    assert MinutesUpdate.objects.filter(minutes=minutes, pk__lte=early).exists()
    assert text_at(minutes, early).startswith("Point 1\nPremier jet.\nPoint 2\n\n")
    assert "Premier jet. Suite." in text_of(minutes)


def test_a_log_compacted_before_the_history_starts_from_its_snapshot(minutes, awa):
    """Older servers deleted the updates a snapshot folded in."""
    a = Writer(minutes, awa)
    a.write(1, "Ancien.")
    snapshot = store.compact_minutes(minutes.pk, older_than=timedelta(0))
    MinutesUpdate.objects.filter(minutes=minutes, pk__lte=snapshot.upto).delete()
    tab = Writer(minutes, awa)  # a new tab: its first update is in the log
    later = tab.write(3, "Nouveau.")

    result = history.list_revisions(minutes.pk)

    assert [r.upto for r in result.revisions] == [snapshot.upto, later]
    assert result.revisions[0].authors == (history.UNKNOWN,)
    assert "Ancien." in text_at(minutes, snapshot.upto)
    content = history.revision_content(minutes.pk, later)
    assert content.clients[tab.client] == f"u{awa.pk}"
    assert content.clients[a.client] == history.UNKNOWN  # first seen in what was folded
    assert "Ancien." in plain_text(load_doc([content.state]))


def test_an_unknown_revision_is_not_found(minutes, session):
    other = store.ensure_minutes(factories.make_session().pk, user=factories.make_user())
    foreign = MinutesUpdate.objects.filter(minutes=other).first().pk

    with pytest.raises(NotAllowed):
        history.revision_content(minutes.pk, foreign)
    with pytest.raises(NotAllowed):
        history.revision_content(minutes.pk, 10**9)
    with pytest.raises(NotAllowed):  # beyond what the database stores: not found either
        history.revision_content(minutes.pk, 10**30)


# -- restore ------------------------------------------------------------------------------


def test_restoring_brings_a_revision_back_as_a_new_edit_and_keeps_the_later_one(
    minutes, session, awa, paul
):
    a, p = Writer(minutes, awa), Writer(minutes, paul)
    a.write(1, "Ouverture.", at=timedelta(seconds=5))
    kept = p.write(3, "Budget adopté.", at=timedelta(seconds=10))
    later = a.write(3, " Sauf la ligne 4.", at=timedelta(seconds=200))
    wanted = text_at(minutes, kept)

    update = p.change(3, delete=" Sauf la ligne 4.")
    update_id = history.restore_revision(session.pk, upto=kept, update=update, user=paul)

    assert text_of(minutes) == wanted
    assert "Sauf la ligne 4." in text_at(minutes, later)  # still in the history
    stored = MinutesUpdate.objects.get(pk=update_id)
    assert stored.author == paul
    revisions = history.list_revisions(minutes.pk).revisions
    assert revisions[-1].upto == update_id
    assert revisions[-1].restored == kept
    assert revisions[-1].authors == (f"u{paul.pk}",)
    assert revisions[-2].upto == later
    entry = AuditEntry.objects.get(action=history.RESTORE_ACTION)
    assert entry.actor == paul
    assert entry.session == session
    assert entry.data == {"minutes": minutes.pk, "revision": kept, "update": update_id}


def test_a_reader_cannot_restore_nor_read_the_history(minutes, session, participant, awa):
    kept = Writer(minutes, awa).write(1, "Texte.")
    update = Writer(minutes, participant).change(1, delete="Texte.")

    with pytest.raises(NotAllowed):
        history.restore_revision(session.pk, upto=kept, update=update, user=participant)
    with pytest.raises(NotAllowed):
        history.minutes_for_history(session.pk, user=participant)
    assert "Texte." in text_of(minutes)


def test_locked_minutes_cannot_be_restored_but_their_history_is_readable(minutes, session, awa):
    kept = Writer(minutes, awa).write(1, "Texte.")
    update = Writer(minutes, awa).change(1, delete="Texte.")
    Minutes.objects.filter(pk=minutes.pk).update(status=Minutes.Status.APPROVED)

    with pytest.raises(MinutesLocked):
        history.restore_revision(session.pk, upto=kept, update=update, user=awa)
    assert history.minutes_for_history(session.pk, user=awa) == minutes
    assert "Texte." in text_of(minutes)


@pytest.mark.parametrize(
    "update",
    [b"", b"\x00\x00", b"\x01\x02\x03garbage", b"\xff" * 20],
    ids=["empty", "nothing", "garbage", "overflow"],
)
def test_a_malformed_restore_is_refused(minutes, session, awa, update):
    kept = Writer(minutes, awa).write(1, "Texte.")
    count = MinutesUpdate.objects.count()

    with pytest.raises(InvalidUpdate):
        history.restore_revision(session.pk, upto=kept, update=update, user=awa)
    assert MinutesUpdate.objects.count() == count


def test_a_restore_built_on_what_the_server_lacks_is_refused(minutes, session, awa):
    kept = Writer(minutes, awa).write(1, "Texte.")
    tab = Writer(minutes, awa)
    tab.change(1, insert=" jamais envoyé")  # never sent: the server lacks it
    before = tab.doc.get_state()
    text = tab.doc.get(FRAGMENT, type=XmlFragment).children[1].children[0]
    text.insert(len(text), "!")
    dependent = tab.doc.get_update(before)  # written after the unsent words

    with pytest.raises(InvalidUpdate):
        history.restore_revision(session.pk, upto=kept, update=dependent, user=awa)
    assert text_of(minutes).startswith("Point 1\nTexte.\n")


# -- pages ----------------------------------------------------------------------------------


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_history_page_is_for_writers(minutes, session, awa, participant, organiser):
    url = f"/sessions/{session.pk}/minutes/history/"

    html = client_for(awa).get(url).content.decode()

    assert 'type="range"' in html
    assert "/static/dist/minutes-history." in html
    assert '"canRestore": true' in html
    assert client_for(organiser).get(url).status_code == 200
    assert client_for(participant).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 404
    assert (
        client_for(awa).get(f"/sessions/{factories.make_session().pk}/minutes/history/").status_code
        == 404
    )


def test_the_session_page_links_writers_to_the_history(minutes, session, awa, participant):
    url = f"/sessions/{session.pk}/minutes/history/"

    assert url in client_for(awa).get(session.get_absolute_url()).content.decode()
    assert url not in client_for(participant).get(session.get_absolute_url()).content.decode()


def test_the_revisions_and_a_revision_as_json(minutes, session, awa):
    a = Writer(minutes, awa)
    upto = a.write(1, "Ouverture.")
    client = client_for(awa)

    listing = client.get(f"/sessions/{session.pk}/minutes/history/revisions/").json()
    content = client.get(f"/sessions/{session.pk}/minutes/history/{upto}/").json()

    assert listing["revisions"][-1]["upto"] == upto
    assert listing["revisions"][-1]["authors"] == [f"u{awa.pk}"]
    assert listing["authors"][f"u{awa.pk}"] == {"name": "Awa", "colour": 0}
    assert "Ouverture." in plain_text(load_doc([base64.b64decode(content["state"])]))
    assert content["clients"][str(a.client)] == f"u{awa.pk}"
    assert (
        client_for(None).get(f"/sessions/{session.pk}/minutes/history/{upto}/").status_code == 404
    )


def test_restoring_through_the_page_answers_clearly(minutes, session, awa, participant):
    kept = Writer(minutes, awa).write(1, "Texte.")
    Writer(minutes, awa).write(1, " Plus.")
    update = Writer(minutes, awa).change(1, delete=" Plus.")
    url = f"/sessions/{session.pk}/minutes/history/{kept}/restore/"
    post = {"data": update, "content_type": "application/octet-stream"}

    assert client_for(participant).post(url, **post).status_code == 404
    assert (
        client_for(awa)
        .post(url, data=b"junk", content_type="application/octet-stream")
        .json()["code"]
        == "invalid_update"
    )
    response = client_for(awa).post(url, **post)
    assert response.status_code == 200
    assert response.json()["revision"] == kept
    assert "Plus." not in text_of(minutes)

    Minutes.objects.filter(pk=minutes.pk).update(status=Minutes.Status.APPROVED)
    locked = client_for(awa).post(url, **post)
    assert locked.status_code == 409
    assert json.loads(locked.content)["code"] == "minutes_locked"


# -- live ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_restore_reaches_the_live_editors(session, minutes_client):
    awa = await database_sync_to_async(factories.make_note_taker)(session, display_name="Awa")
    editor = await minutes_client(session.pk, awa)
    reader = await minutes_client(session.pk)  # sees only what is stored
    editor.type_into(1, "Texte gardé.")
    await reader.wait_for(lambda c: "Texte gardé." in c.text())
    editor.type_into(1, " Texte retiré.", offset=len("Texte gardé."))
    await reader.wait_for(lambda c: "Texte retiré." in c.text())

    def restore() -> None:
        minutes = Minutes.objects.get(session=session)
        ids = MinutesUpdate.objects.filter(minutes=minutes).order_by("pk")
        kept = next(
            pk for pk in ids.values_list("pk", flat=True) if "gardé" in text_at(minutes, pk)
        )
        update = Writer(minutes, awa).change(1, delete=" Texte retiré.")
        history.restore_revision(session.pk, upto=kept, update=update, user=awa)

    await database_sync_to_async(restore)()

    await editor.wait_for(lambda c: "Texte retiré." not in c.text())
    await reader.wait_for(lambda c: "Texte retiré." not in c.text())
    assert "Texte gardé." in editor.text()


def test_an_old_logs_first_snapshot_outlives_later_compactions(minutes, awa):
    """Compaction keeps five snapshots, and never the one an old log starts from."""
    a = Writer(minutes, awa)
    a.write(1, "Ancien.")
    snapshot = store.compact_minutes(minutes.pk, older_than=timedelta(0))
    MinutesUpdate.objects.filter(minutes=minutes, pk__lte=snapshot.upto).delete()
    tab = Writer(minutes, awa)
    for n in range(store.SNAPSHOTS_KEPT + 2):
        tab.write(3, f"Nouveau {n}.")
        assert store.compact_minutes(minutes.pk, older_than=timedelta(0)) is not None

    result = history.list_revisions(minutes.pk)

    assert result.revisions[0].upto == snapshot.upto
    assert "Ancien." in text_at(minutes, snapshot.upto)
    assert "Ancien." in text_at(minutes, result.revisions[-1].upto)


def test_past_retention_the_log_is_folded_into_the_text(minutes, session, awa):
    from minutes.personal_data import purge_history

    a = Writer(minutes, awa)
    a.write(1, "Kept. Name to remove.")
    store.append_updates(minutes.pk, [(a.change(1, delete=" Name to remove."), awa.pk)])
    store.compact_minutes(minutes.pk, older_than=timedelta(0))
    text = text_of(minutes)

    assert purge_history(session) == 3  # the skeleton, the sentence, the deletion

    assert not MinutesUpdate.objects.filter(minutes=minutes).exists()
    [snapshot] = MinutesSnapshot.objects.filter(minutes=minutes)
    assert b"Name to remove" not in bytes(snapshot.state)
    assert text_of(minutes) == text
    assert "Kept." in text
    [only] = history.list_revisions(minutes.pk).revisions
    assert only.authors == (history.UNKNOWN,)
    # Writing goes on from the folded text.
    Writer(minutes, awa).write(3, "Later.")
    assert "Later." in text_of(minutes)
