"""The session socket through the real ASGI application (origin check, auth, routing)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assemblies.models import Session
from assemblies.services import live
from plenary.asgi import application
from plenary.realtime import consumers as consumers_module
from plenary.realtime.hub import get_hub
from plenary.realtime.protocol import CloseCode
from tests.conftest import login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]

ORIGIN = (b"origin", b"http://127.0.0.1")


async def open_socket(
    session_id: int, *, cookie: str | None = None, since: int | None = None, origin: Any = ORIGIN
) -> WebsocketCommunicator:
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/sessions/{session_id}/" + (f"?since={since}" if since is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def snapshot(
    communicator: WebsocketCommunicator, *, moderator: bool = False
) -> dict[str, Any]:
    """Read the opening snapshot (programme, chat, questions, and the review queue
    for moderators); return the programme state."""
    state = await next_frame(communicator)
    assert state["type"] == "session.state"
    assert (await next_frame(communicator))["type"] == "chat.history"
    assert (await next_frame(communicator))["type"] == "question.list"
    if moderator:
        assert (await next_frame(communicator))["type"] == "chat.queue"
    return state


async def next_frame(communicator: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=3))


async def test_a_visitor_gets_the_session_state_on_connect(session):
    socket = await open_socket(session.pk)

    state = await snapshot(socket)

    assert state["type"] == "session.state"
    assert state["seq"] == 0
    assert state["status"] == "scheduled"
    assert [item["title"] for item in state["agenda"]] == ["Point 1", "Point 2", "Point 3"]
    assert state["viewer"] == {"authenticated": False, "name": "", "roles": [], "can_run": False}
    await socket.disconnect()


async def test_an_organiser_is_told_they_can_run_the_session(session, organiser):
    socket = await open_socket(session.pk, cookie=await login_cookie(organiser))

    state = await snapshot(socket)

    assert state["viewer"]["can_run"] is True
    assert state["viewer"]["roles"] == ["organiser"]
    await socket.disconnect()


async def test_an_unknown_session_closes_with_not_found(db):
    socket = WebsocketCommunicator(application, "/ws/sessions/424242/", headers=[ORIGIN])
    connected, _ = await socket.connect()

    assert connected
    assert await socket.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": CloseCode.NOT_FOUND,
    }


@pytest.mark.parametrize("origin", [(b"origin", b"http://evil.example"), None])
async def test_a_foreign_or_missing_origin_is_refused(session, origin):
    headers = [origin] if origin else []
    socket = WebsocketCommunicator(application, f"/ws/sessions/{session.pk}/", headers=headers)

    connected, _ = await socket.connect()

    assert not connected


async def test_organiser_actions_reach_every_open_page(session, organiser):
    viewer = await open_socket(session.pk)
    await snapshot(viewer)
    console = await open_socket(session.pk, cookie=await login_cookie(organiser))
    await snapshot(console, moderator=True)

    await console.send_json_to({"type": "session.start", "ref": "s1"})
    await console.send_json_to({"type": "agenda.advance", "ref": "a1"})

    seen = [await next_frame(viewer) for _ in range(3)]
    assert [(f["type"], f["seq"]) for f in seen] == [
        ("session.status", 1),
        ("agenda.current", 2),
        ("agenda.current", 3),
    ]
    assert seen[0]["status"] == "live"
    assert [seen[1]["title"], seen[2]["title"]] == ["Point 1", "Point 2"]
    console_frames = [await next_frame(console) for _ in range(5)]
    assert {"type": "ack", "ref": "s1"} in console_frames
    assert {"type": "ack", "ref": "a1"} in console_frames
    await viewer.disconnect()
    await console.disconnect()


async def test_a_participant_gets_an_error_frame_and_nothing_changes(session, participant):
    socket = await open_socket(session.pk, cookie=await login_cookie(participant))
    await snapshot(socket)

    await socket.send_json_to({"type": "session.start", "ref": "x"})

    error = await next_frame(socket)
    assert error["type"] == "error"
    assert error["code"] == "forbidden"
    assert error["ref"] == "x"
    refreshed = await Session.objects.aget(pk=session.pk)
    assert refreshed.status == Session.Status.SCHEDULED


async def test_error_messages_follow_the_browser_language(session, participant):
    cookie = await login_cookie(participant)
    for language, expected in [("fr", "Vous n’êtes pas autorisé"), ("en", "You are not allowed")]:
        socket = await open_socket(session.pk, cookie=f"{cookie}; django_language={language}")
        await snapshot(socket)
        await socket.send_json_to({"type": "session.start"})
        assert (await next_frame(socket))["message"].startswith(expected)
        await socket.disconnect()


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"type": "nope"}',
        '{"type": "agenda.select"}',
        '{"type": "agenda.select", "item": "two"}',
        '{"type": "session.start", "extra": 1}',
        '{"type": "agenda.select", "item": 1180591620717411303424}',
        '{"type": "agenda.select", "item": -3}',
        '{"type": "ping", "ref": "' + "x" * 20000 + '"}',
    ],
)
async def test_malformed_frames_get_an_error_and_the_connection_stays(session, raw):
    socket = await open_socket(session.pk)
    await snapshot(socket)

    await socket.send_to(text_data=raw)
    error = await next_frame(socket)
    await socket.send_json_to({"type": "ping", "ref": "still-there"})

    assert error["type"] == "error"
    assert error["code"] in {"bad_frame", "frame_too_large"}
    assert await next_frame(socket) == {"type": "pong", "ref": "still-there"}
    await socket.disconnect()


async def test_binary_frames_are_refused_politely(session):
    socket = await open_socket(session.pk)
    await snapshot(socket)

    await socket.send_to(bytes_data=b"\x00\x01")

    assert (await next_frame(socket))["code"] == "bad_frame"
    await socket.disconnect()


async def test_a_reconnecting_page_gets_exactly_what_it_missed(session, organiser):
    await database_sync_to_async(live.start_session)(session.pk, user=organiser)  # seq 1, 2
    await database_sync_to_async(live.advance_agenda)(session.pk, user=organiser)  # seq 3
    await database_sync_to_async(live.advance_agenda)(session.pk, user=organiser)  # seq 4

    socket = await open_socket(session.pk, since=2)

    missed = [await next_frame(socket) for _ in range(2)]
    assert [(f["type"], f["seq"], f["title"]) for f in missed] == [
        ("agenda.current", 3, "Point 2"),
        ("agenda.current", 4, "Point 3"),
    ]
    assert await socket.receive_nothing(timeout=0.2)
    await database_sync_to_async(live.end_session)(session.pk, user=organiser)
    assert (await next_frame(socket))["seq"] == 5
    await socket.disconnect()


async def test_an_up_to_date_page_gets_nothing_again(session, organiser):
    await database_sync_to_async(live.start_session)(session.pk, user=organiser)

    socket = await open_socket(session.pk, since=2)

    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


@pytest.mark.parametrize("since", [-1, 99, "abc"])
async def test_a_resume_point_that_cannot_be_replayed_gets_a_fresh_snapshot(
    session, organiser, since
):
    await database_sync_to_async(live.start_session)(session.pk, user=organiser)

    socket = await open_socket(session.pk, since=since)

    state = await snapshot(socket)
    assert state["type"] == "session.state"
    assert state["seq"] == 2
    assert state["status"] == "live"
    await socket.disconnect()


async def test_a_resume_too_far_back_gets_a_snapshot(session, organiser, settings):
    settings.PLENARY_RESUME_LIMIT = 1
    await database_sync_to_async(live.start_session)(session.pk, user=organiser)
    await database_sync_to_async(live.advance_agenda)(session.pk, user=organiser)

    socket = await open_socket(session.pk, since=0)

    state = await snapshot(socket)
    assert (state["type"], state["seq"]) == ("session.state", 3)
    await socket.disconnect()


async def test_one_bad_client_does_not_disturb_the_others(session, organiser):
    calm = await open_socket(session.pk)
    await snapshot(calm)
    rude = await open_socket(session.pk)
    await snapshot(rude)

    for raw in ["{", '{"type": 1}', "null", '{"type": "session.end"}']:
        await rude.send_to(text_data=raw)
    await database_sync_to_async(live.start_session)(session.pk, user=organiser)

    assert (await next_frame(calm))["type"] == "session.status"
    await calm.disconnect()
    await rude.disconnect()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    frame=st.one_of(
        st.text(min_size=1, max_size=300),
        st.dictionaries(
            st.sampled_from(["type", "ref", "item", "extra"]),
            st.one_of(
                st.sampled_from(["session.start", "agenda.select", "ping", "agenda.advance"]),
                st.integers(),
                st.text(max_size=50),
                st.none(),
                st.lists(st.integers(), max_size=3),
            ),
        ).map(json.dumps),
    )
)
def test_any_frame_from_a_visitor_gets_an_answer_and_changes_nothing(session, frame):
    async def exchange() -> dict[str, Any]:
        socket = await open_socket(session.pk)
        await snapshot(socket)
        await socket.send_to(text_data=frame)
        answer = await next_frame(socket)
        await socket.send_json_to({"type": "ping", "ref": "alive"})
        assert await next_frame(socket) == {"type": "pong", "ref": "alive"}
        await socket.disconnect()
        await get_hub().close()
        return answer

    answer = asyncio.run(exchange())

    assert answer["type"] in {"error", "pong"}
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


class StalledNetwork:
    """Wraps the application so that, after the opening frames, nothing reaches the client."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        async def stalled_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                self.sent += 1
                if self.sent > 3:
                    await asyncio.Event().wait()  # a client that stopped reading
            await send(message)

        return await self.app(scope, receive, stalled_send)


async def test_a_socket_that_falls_behind_is_closed_with_the_resume_code(
    session, organiser, settings
):
    settings.PLENARY_SOCKET_QUEUE = 2
    network = StalledNetwork(application)
    stalled = WebsocketCommunicator(network, f"/ws/sessions/{session.pk}/", headers=[ORIGIN])
    assert (await stalled.connect())[0]
    healthy = await open_socket(session.pk)
    await snapshot(healthy)
    opening = [json.loads((await stalled.receive_output(timeout=3))["text"]) for _ in range(3)]
    assert [frame["type"] for frame in opening] == [
        "session.state",
        "chat.history",
        "question.list",
    ]

    await database_sync_to_async(live.start_session)(session.pk, user=organiser)
    for _ in range(2):
        await database_sync_to_async(live.advance_agenda)(session.pk, user=organiser)

    assert await stalled.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": CloseCode.TOO_SLOW,
    }
    received = [(await next_frame(healthy))["seq"] for _ in range(4)]
    assert received == [1, 2, 3, 4]
    await healthy.disconnect()


async def test_anonymous_viewers_share_a_snapshot_but_see_admin_changes_soon(session):
    first = await open_socket(session.pk)
    assert (await snapshot(first))["title"] == "Réunion publique"
    session.title = "Réunion publique du Coteau"
    await session.asave(update_fields=["title"])

    again = await open_socket(session.pk)
    reused = await snapshot(again)
    consumers_module._shared_snapshots.clear()  # as if its two seconds had passed
    later = await open_socket(session.pk)
    fresh = await snapshot(later)

    assert reused["title"] == "Réunion publique"
    assert fresh["title"] == "Réunion publique du Coteau"
    for socket in (first, again, later):
        await socket.disconnect()


async def test_a_logged_in_viewer_gets_a_snapshot_of_their_own(session, organiser):
    await open_socket(session.pk)  # fills the anonymous snapshot
    socket = await open_socket(session.pk, cookie=await login_cookie(organiser))

    assert (await snapshot(socket))["viewer"]["can_run"] is True
    await socket.disconnect()


class LeavingClient:
    """Wraps the application so that the client is gone by the second opening frame."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        async def send_until_gone(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                self.sent += 1
                if self.sent > 1:
                    raise OSError("client disconnected")
            await send(message)

        return await self.app(scope, receive, send_until_gone)


async def test_a_client_leaving_during_the_opening_leaves_the_room(session, room_hub):
    socket = WebsocketCommunicator(
        LeavingClient(application), f"/ws/sessions/{session.pk}/", headers=[ORIGIN]
    )
    await socket.connect()
    with contextlib.suppress(Exception):
        await socket.receive_output(timeout=1)
    await asyncio.sleep(0.1)

    assert room_hub.local_count(f"session.{session.pk}") == 0


async def test_an_unexpected_failure_is_an_error_frame_not_a_closed_socket(
    session, organiser, monkeypatch
):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(live, "advance_agenda", broken)
    socket = await open_socket(session.pk, cookie=await login_cookie(organiser))
    await snapshot(socket, moderator=True)

    await socket.send_json_to({"type": "agenda.advance", "ref": "a"})

    error = await next_frame(socket)
    assert (error["type"], error["code"], error["ref"]) == ("error", "server_error", "a")
    await socket.send_json_to({"type": "ping", "ref": "p"})
    assert await next_frame(socket) == {"type": "pong", "ref": "p"}
    await socket.disconnect()
