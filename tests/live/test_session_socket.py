"""The session socket on real server processes, with real websocket clients.

Each test talks to Uvicorn and Daphne started as subprocesses on loopback, against
the test database; with ``REDIS_URL`` set, two processes share Redis and an
organiser on one reaches a viewer on the other.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async

from tests.conftest import login_cookie

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def ws_url(base: str, session_id: int, since: int | None = None) -> str:
    query = f"?since={since}" if since is not None else ""
    return base.replace("http://", "ws://") + f"/ws/sessions/{session_id}/{query}"


async def connect(base: str, session_id: int, cookie: str | None = None, **kw: Any) -> Any:
    headers = {"Cookie": cookie} if cookie else {}
    return await websockets.connect(
        ws_url(base, session_id, **kw), origin=base, additional_headers=headers
    )


async def frame_of(socket: Any, kind: str) -> dict[str, Any]:
    """Return the next frame of type ``kind``, skipping others."""
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
async def test_organiser_actions_reach_a_viewer_on_the_same_server(
    session, organiser, start_server, kind
):
    server = await sync_to_async(start_server)(kind)
    cookie = await login_cookie(organiser)
    viewer = await connect(server.url, session.pk)
    console = await connect(server.url, session.pk, cookie=cookie)
    assert (await frame_of(viewer, "session.state"))["status"] == "scheduled"
    assert (await frame_of(console, "session.state"))["viewer"]["can_run"]

    await console.send(json.dumps({"type": "session.start", "ref": "1"}))
    assert (await frame_of(viewer, "session.status"))["status"] == "live"
    assert (await frame_of(viewer, "agenda.current"))["title"] == "Point 1"
    await console.send(json.dumps({"type": "agenda.advance", "ref": "2"}))
    assert (await frame_of(viewer, "agenda.current"))["title"] == "Point 2"

    await viewer.close()
    await console.close()


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
async def test_a_burst_of_events_reaches_every_viewer_in_order(
    session, organiser, participant, start_server, kind
):
    """Under Uvicorn the events are written straight to each transport, under Daphne
    through its ASGI send: either way every viewer sees the same frames in order."""
    server = await sync_to_async(start_server)(kind)
    console = await connect(server.url, session.pk, cookie=await login_cookie(organiser))
    poster = await connect(server.url, session.pk, cookie=await login_cookie(participant))
    viewers = [await connect(server.url, session.pk) for _ in range(3)]
    for socket in [console, poster, *viewers]:
        await frame_of(socket, "question.list")  # the end of the opening snapshot

    # Sent back to back, without waiting for the acks.
    for ref, kind_ in enumerate(["session.start", "agenda.advance", "agenda.advance"]):
        await console.send(json.dumps({"type": kind_, "ref": str(ref)}))
    for n in range(4):
        await poster.send(
            json.dumps(
                {"type": "chat.post", "text": f"message {n}", "client_id": f"c{n}", "ref": str(n)}
            )
        )
    acks = [(await frame_of(console, "ack"))["ref"] for _ in range(3)]
    acks += [(await frame_of(poster, "ack"))["ref"] for _ in range(4)]

    expected = 2 + 2 + 4  # start: status and current item; two advances; four messages
    seen = []
    for viewer in viewers:
        frames = [json.loads(await asyncio.wait_for(viewer.recv(), 5)) for _ in range(expected)]
        seen.append([(frame["seq"], frame["type"]) for frame in frames])
        texts = [f["message"]["text"] for f in frames if f["type"] == "chat.message"]
        assert texts == [f"message {n}" for n in range(4)]
        await viewer.close()
    assert acks == ["0", "1", "2", "0", "1", "2", "3"]
    assert [seq for seq, _ in seen[0]] == list(range(1, expected + 1))
    assert seen[1] == seen[0]
    assert seen[2] == seen[0]
    await console.close()
    await poster.close()


async def test_a_viewer_that_reconnects_resumes_without_gap_or_duplicate(
    session, organiser, live_server_url
):
    cookie = await login_cookie(organiser)
    console = await connect(live_server_url, session.pk, cookie=cookie)
    await frame_of(console, "session.state")
    viewer = await connect(live_server_url, session.pk)
    await frame_of(viewer, "session.state")
    await console.send(json.dumps({"type": "session.start", "ref": "1"}))
    last_seq = (await frame_of(viewer, "agenda.current"))["seq"]
    await viewer.close()

    for ref in ("2", "3"):
        await console.send(json.dumps({"type": "agenda.advance", "ref": ref}))
        await frame_of(console, "ack")
    viewer = await connect(live_server_url, session.pk, since=last_seq)

    missed = [json.loads(await asyncio.wait_for(viewer.recv(), 5)) for _ in range(2)]
    assert [(f["type"], f["seq"], f["title"]) for f in missed] == [
        ("agenda.current", last_seq + 1, "Point 2"),
        ("agenda.current", last_seq + 2, "Point 3"),
    ]
    await console.send(json.dumps({"type": "session.end", "ref": "4"}))
    ended = json.loads(await asyncio.wait_for(viewer.recv(), 5))
    assert (ended["type"], ended["seq"]) == ("session.status", last_seq + 3)
    await viewer.close()
    await console.close()


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="several processes share state through Redis; this pass runs the embedded default",
)
async def test_an_organiser_on_one_process_reaches_viewers_on_another(
    session, organiser, start_server
):
    first = await sync_to_async(start_server)("uvicorn")
    second = await sync_to_async(start_server)("uvicorn")
    cookie = await login_cookie(organiser)
    console = await connect(first.url, session.pk, cookie=cookie)
    viewers = [await connect(second.url, session.pk) for _ in range(3)]
    viewers.append(await connect(first.url, session.pk))
    for socket in [console, *viewers]:
        await frame_of(socket, "session.state")

    await console.send(json.dumps({"type": "session.start", "ref": "1"}))
    await console.send(json.dumps({"type": "agenda.advance", "ref": "2"}))

    for viewer in viewers:
        assert (await frame_of(viewer, "session.status"))["status"] == "live"
        currents = [await frame_of(viewer, "agenda.current") for _ in range(2)]
        assert [c["title"] for c in currents] == ["Point 1", "Point 2"]
        assert currents[1]["seq"] == currents[0]["seq"] + 1
        await viewer.close()
    await console.close()


async def test_a_foreign_origin_is_refused_by_the_server(session, live_server_url):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(ws_url(live_server_url, session.pk), origin="http://evil.example")

    assert refused.value.response.status_code == 403


async def test_an_unknown_session_closes_with_4404(db, live_server_url):
    socket = await connect(live_server_url, 987654)

    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)

    assert closed.value.rcvd.code == 4404
