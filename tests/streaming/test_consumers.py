"""The broadcast on the session socket, through the real ASGI application."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from plenary.asgi import application
from streaming.models import Stream
from streaming.services import broadcast
from tests import factories
from tests.conftest import login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]

ORIGIN = (b"origin", b"http://127.0.0.1")


async def open_socket(session_id: int, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie.encode())] if cookie else [])
    socket = WebsocketCommunicator(application, f"/ws/sessions/{session_id}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def frame_of(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping the others."""
    for _ in range(20):
        frame = json.loads(await socket.receive_from(timeout=3))
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.fixture
def setup(db):
    session = factories.make_session()
    stream = factories.make_stream(session)
    organiser = factories.make_organiser(session)
    return session, stream, organiser


async def test_the_snapshot_tells_the_broadcast_and_the_room_hours(setup):
    session, stream, _ = setup
    socket = await open_socket(session.pk)

    state = await frame_of(socket, "stream.state")

    assert state["status"] == "scheduled"
    assert state["source"] is None
    assert state["can_run"] is False
    assert state["room_grace_seconds"] == 30 * 60
    assert state["room_opens_at"] is not None
    assert stream.key not in json.dumps(state)
    count = await frame_of(socket, "presence.count")
    assert count["viewers"] == 0  # counted once it follows the room
    await socket.disconnect()


async def test_an_organiser_starts_the_broadcast_over_the_socket_and_everyone_hears(setup):
    session, _, organiser = setup
    viewer = await open_socket(session.pk)
    await frame_of(viewer, "stream.state")
    console = await open_socket(session.pk, await login_cookie(organiser))
    assert (await frame_of(console, "stream.state"))["can_run"] is True

    await console.send_json_to({"type": "stream.start", "ref": "1"})

    assert await frame_of(console, "ack") == {"type": "ack", "ref": "1"}
    status = await frame_of(viewer, "stream.status")
    assert (status["status"], status["seq"]) == ("live", 1)
    await viewer.disconnect()
    await console.disconnect()


async def test_a_participant_is_refused_and_nothing_changes(setup, participant):
    session, stream, _ = setup
    socket = await open_socket(session.pk, await login_cookie(participant))

    await socket.send_json_to({"type": "stream.start", "ref": "1"})
    error = await frame_of(socket, "error")
    await socket.send_json_to({"type": "presence.who", "ref": "2"})
    refused = await frame_of(socket, "error")

    assert (error["code"], error["ref"]) == ("forbidden", "1")
    assert (refused["code"], refused["ref"]) == ("forbidden", "2")
    assert (await database_sync_to_async(Stream.objects.get)(pk=stream.pk)).status == "scheduled"
    await socket.disconnect()


async def test_a_hook_moves_every_open_page(setup):
    session, stream, _ = setup
    socket = await open_socket(session.pk)
    await frame_of(socket, "stream.state")

    await database_sync_to_async(broadcast.ingest_started)(stream.key, via="test")

    assert (await frame_of(socket, "stream.status"))["status"] == "live"
    await socket.disconnect()


async def test_everyone_hears_the_viewer_count_and_organisers_see_who_is_here(setup, participant):
    session, _, organiser = setup
    anonymous = [await open_socket(session.pk) for _ in range(3)]
    awa = await open_socket(session.pk, await login_cookie(participant))
    console = await open_socket(session.pk, await login_cookie(organiser))

    count = await frame_of(anonymous[0], "presence.count")
    while count["viewers"] != 5:
        count = await frame_of(anonymous[0], "presence.count")
    await console.send_json_to({"type": "presence.who", "ref": "7"})
    who = await frame_of(console, "presence.list")

    assert (who["viewers"], who["anonymous"], who["online"], who["total"]) == (5, 3, 2, 2)
    assert who["ref"] == "7"
    assert sorted(p["name"] for p in who["people"]) == sorted(
        [participant.public_name, organiser.public_name]
    )
    for socket in [*anonymous, awa, console]:
        await socket.disconnect()


async def test_sessions_without_a_broadcast_send_no_broadcast_frames(db):
    session = await database_sync_to_async(factories.make_session)()
    socket = await open_socket(session.pk)

    kinds = []
    while not await socket.receive_nothing(timeout=1.5):
        kinds.append(json.loads(await socket.receive_from())["type"])

    assert kinds == ["session.state", "chat.history", "question.list"]
    await socket.disconnect()
