"""The minutes socket through the real ASGI application, with y-websocket clients."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from pycrdt import Doc, XmlFragment, XmlText

from minutes import protocol
from minutes.models import Minutes, MinutesUpdate
from minutes.protocol import MinutesCloseCode
from minutes.services import store, workflow
from minutes.services.document import FRAGMENT, load_doc, plain_text
from plenary.asgi import application
from tests.minutes.conftest import ORIGIN, open_communicator

pytestmark = [pytest.mark.django_db(transaction=True)]

SKELETON = "Point 1\n\nPoint 2\n\nPoint 3\n"


class YDocEdit:
    """Make an update on a copy of ``doc`` without touching it."""

    def __init__(self, doc: Doc) -> None:
        self.copy: Doc = Doc()
        self.copy.apply_update(doc.get_update())

    def paragraph(self, block: int, text: str) -> bytes:
        before = self.copy.get_state()
        element = self.copy.get(FRAGMENT, type=XmlFragment).children[block]
        element.children.append(XmlText(text))
        return self.copy.get_update(before)


def stored_text(session_id: int) -> str:
    minutes = Minutes.objects.get(session_id=session_id)
    return plain_text(load_doc(store.load_document(minutes.pk).blobs()))


async def test_a_visitor_gets_the_skeleton_written_once_by_the_server(session, minutes_client):
    first = await minutes_client(session.pk)
    second = await minutes_client(session.pk)

    assert first.text() == SKELETON
    assert second.text() == SKELETON
    assert await MinutesUpdate.objects.acount() == 1


async def test_an_edit_reaches_readers_after_it_is_stored(session, note_taker, minutes_client):
    writer = await minutes_client(session.pk, note_taker)
    reader = await minutes_client(session.pk)

    writer.type_into(1, "Le budget est adopté.")

    await reader.wait_for(lambda c: "Le budget est adopté." in c.text())
    assert "Le budget est adopté." in await database_sync_to_async(stored_text)(session.pk)


async def test_a_reader_edit_is_refused_and_reaches_nobody(session, participant, minutes_client):
    reader = await minutes_client(session.pk, participant)
    other = await minutes_client(session.pk)

    reader.type_into(1, "graffiti")

    assert await reader.wait_closed() == MinutesCloseCode.READ_ONLY
    await asyncio.sleep(0.2)
    assert "graffiti" not in other.text()
    assert "graffiti" not in await database_sync_to_async(stored_text)(session.pk)


async def test_garbage_closes_the_sender_and_leaves_the_document_alone(
    session, note_taker, minutes_client
):
    writer = await minutes_client(session.pk, note_taker)
    vandal = await minutes_client(session.pk, note_taker)

    vandal.send_raw(protocol.encode_update(b"\x01\x02\x03"))

    assert await vandal.wait_closed() == MinutesCloseCode.BAD_FRAME
    writer.type_into(1, "toujours là")
    fresh = await minutes_client(session.pk)
    await fresh.wait_for(lambda c: "toujours là" in c.text())


async def test_a_text_frame_closes_with_bad_frame(session, minutes_rooms):
    communicator = await open_communicator(session.pk)
    await communicator.receive_output(timeout=3)  # sync step 1
    await communicator.send_to(text_data="hello")
    assert (await communicator.receive_output(timeout=3))["code"] == MinutesCloseCode.BAD_FRAME


async def test_an_unknown_session_closes_with_not_found(db, minutes_rooms):
    communicator = WebsocketCommunicator(application, "/ws/minutes/424242/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_output(timeout=3))["code"] == MinutesCloseCode.NOT_FOUND


async def test_a_writers_cursor_reaches_everyone_and_a_readers_reaches_nobody(
    session, note_taker, participant, minutes_client
):
    writer = await minutes_client(session.pk, note_taker)
    reader = await minutes_client(session.pk, participant)
    watcher = await minutes_client(session.pk)

    reader.set_awareness({"user": {"name": "Intrus", "color": "#000000"}})
    writer.set_awareness({"user": {"name": "Awa", "color": "#b3261e"}})

    await watcher.wait_for(lambda c: writer.doc.client_id in c.awareness)
    assert reader.doc.client_id not in watcher.awareness
    assert reader.doc.client_id not in writer.awareness
    late = await minutes_client(session.pk)  # greeted with who is writing
    await late.wait_for(lambda c: writer.doc.client_id in c.awareness)

    await writer.close()
    await watcher.wait_for(lambda c: writer.doc.client_id not in c.awareness)


async def test_an_awareness_flood_closes_the_sender(session, note_taker, minutes_client):
    writer = await minutes_client(session.pk, note_taker)
    other = await minutes_client(session.pk, note_taker)

    for n in range(300):
        writer.set_awareness({"user": {"name": "Awa"}, "n": n})

    assert await writer.wait_closed() == MinutesCloseCode.FLOOD
    other.type_into(1, "intact")
    fresh = await minutes_client(session.pk)
    await fresh.wait_for(lambda c: "intact" in c.text())


async def test_changing_the_status_resets_the_sockets_and_locks_the_writers(
    session, note_taker, organiser, minutes_client
):
    writer = await minutes_client(session.pk, note_taker)
    await database_sync_to_async(workflow.submit_minutes)(session.pk, user=organiser)
    assert await writer.wait_closed() == MinutesCloseCode.STATUS_CHANGED
    await database_sync_to_async(workflow.approve_minutes)(session.pk, user=organiser)

    again = await minutes_client(session.pk, note_taker)
    again.type_into(1, "trop tard")
    assert await again.wait_closed() == MinutesCloseCode.READ_ONLY
    assert "trop tard" not in await database_sync_to_async(stored_text)(session.pk)


async def test_a_crowd_joining_a_cold_document_all_sync_on_one_skeleton(session, minutes_client):
    crowd = await asyncio.gather(*(minutes_client(session.pk) for _ in range(30)))

    assert {client.text() for client in crowd} == {SKELETON}
    assert await MinutesUpdate.objects.acount() == 1


async def test_an_update_stored_but_never_relayed_is_found_by_the_gap_check(
    session, note_taker, minutes_client, minutes_rooms
):
    reader = await minutes_client(session.pk)
    room = next(iter(minutes_rooms.rooms.values()))
    # Another process stored this and died before publishing it.
    lost = YDocEdit(reader.doc).paragraph(1, "écrit ailleurs")
    await database_sync_to_async(store.append_updates)(room.minutes_id, [(lost, None)])

    assert await room.check_gaps() == 1
    await reader.wait_for(lambda c: "écrit ailleurs" in c.text())
    assert await room.check_gaps() == 0
