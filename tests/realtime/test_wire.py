"""Room events written straight to Uvicorn's transports (``plenary.server.direct_wire``).

Uvicorn serves the real application inside the test's event loop, so a test can
see the hub and the outboxes behind the sockets its websocket clients open, and
squeeze a socket's buffers to make its transport pause. Daphne, which has no
wire, is covered by the live tests and the consumer tests (a test communicator).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
import websockets
from channels.db import database_sync_to_async
from django.db import transaction
from websockets.frames import Frame, Opcode

from assemblies.models import Session
from plenary.asgi import application
from plenary.realtime.events import encode_frame, record_event
from plenary.realtime.hub import Outbox, get_hub, text_frame
from plenary.realtime.protocol import CloseCode, Pong
from plenary.realtime.protocol import Frame as OutboundFrame
from plenary.realtime.rooms import session_room
from plenary.server import UvicornWire, direct_wire
from tests.servers import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]


class Note(OutboundFrame, tag="test.note", kw_only=True):
    seq: int = 0
    text: str


@pytest.fixture
async def uvicorn_server() -> AsyncIterator[uvicorn.Server]:
    """Uvicorn with the options ``plenary.server`` serves with, in this test's loop."""
    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 (Uvicorn offers a flag, not an event)
            await asyncio.sleep(0.01)
    yield server
    server.should_exit = True
    await serving


@pytest.fixture
def uvicorn_url(uvicorn_server: uvicorn.Server) -> str:
    return f"ws://127.0.0.1:{uvicorn_server.config.port}"


def squeeze(server: uvicorn.Server, client: Any) -> None:
    """Shrink the server's buffers for ``client``'s connection (kernel send buffer and
    transport high-water mark), so that it backs up after a few frames, not megabytes."""
    (connection,) = [c for c in server.server_state.connections if c.client == client.local_address]
    connection.transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
    )
    connection.transport.set_write_buffer_limits(high=8192)


async def viewer(base: str, session: Session, receive_buffer: int | None = None) -> Any:
    """Open a session socket and read its opening frames; ``receive_buffer`` shrinks
    the client's kernel buffer so that a client that stops reading backs up soon."""
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", int(base.rsplit(":", 1)[1])))
    client = await websockets.connect(
        f"{base}/ws/sessions/{session.pk}/",
        sock=sock,
        origin="http://127.0.0.1",
        max_queue=4,
    )
    async with asyncio.timeout(5):
        while json.loads(await client.recv())["type"] != "question.list":
            pass  # the end of the opening snapshot
    return client


def outboxes(session: Session) -> list[Outbox]:
    return list(get_hub().rooms[session_room(session.pk)].outboxes)


def record_notes(session_id: int, texts: list[str]) -> None:
    """Commit one room event per text, each in its own transaction, as services do."""
    for text in texts:
        with transaction.atomic():
            record_event(session_room(session_id), Note(text=text))


async def trickle(session_id: int, texts: list[str]) -> None:
    """Commit the notes a few at a time, letting the event loop run in between."""
    for start in range(0, len(texts), 4):
        await database_sync_to_async(record_notes)(session_id, texts[start : start + 4])
        await asyncio.sleep(0.002)


async def notes(client: Any, count: int) -> list[tuple[int, str]]:
    """The next ``count`` notes as (seq, text)."""
    received: list[tuple[int, str]] = []
    async with asyncio.timeout(10):
        while len(received) < count:
            frame = json.loads(await client.recv())
            if frame["type"] == "test.note":
                received.append((frame["seq"], frame["text"]))
    return received


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_text_frame_is_what_websockets_would_send(length):
    text = "é" * (length // 2) + "x" * (length % 2)

    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)

    assert text_frame(text) == expected


async def test_events_reach_uvicorn_sockets_through_their_wire_in_order(session, uvicorn_url):
    clients = [await viewer(uvicorn_url, session) for _ in range(3)]
    assert all(isinstance(outbox.wire, UvicornWire) for outbox in outboxes(session))
    texts = [f"note {n}" for n in range(60)]

    await database_sync_to_async(record_notes)(session.pk, texts)

    for client in clients:
        received = await notes(client, len(texts))
        assert [text for _, text in received] == texts
        assert [seq for seq, _ in received] == list(range(1, len(texts) + 1))
        await client.close()


async def test_a_paused_transport_queues_then_catches_up_in_order(
    session, uvicorn_server, uvicorn_url
):
    slow = await viewer(uvicorn_url, session, receive_buffer=32768)
    squeeze(uvicorn_server, slow)
    (stalled,) = outboxes(session)
    fast = await viewer(uvicorn_url, session)
    texts = [f"{n:04d} " + "x" * 2000 for n in range(240)]

    # The slow client does not read while the first half is written...
    await database_sync_to_async(record_notes)(session.pk, texts[:120])
    assert len(await notes(fast, 120)) == 120
    assert stalled.frames, "the slow socket's transport never paused"
    # ...and catches up while the second half keeps coming: no new frame may
    # overtake the queued ones when the transport drains.
    later = asyncio.create_task(trickle(session.pk, texts[120:]))
    received = await notes(slow, len(texts))
    rest = await notes(fast, 120)
    await later

    assert [text for _, text in received] == texts
    assert [seq for seq, _ in received] == list(range(1, len(texts) + 1))
    assert [text for _, text in rest] == texts[120:]
    assert not stalled.frames
    assert not stalled.overflowed
    await slow.close()
    await fast.close()


async def test_nothing_overtakes_the_queue_when_the_transport_resumes(
    session, uvicorn_server, uvicorn_url
):
    client = await viewer(uvicorn_url, session)
    (outbox,) = outboxes(session)
    (connection,) = uvicorn_server.server_state.connections
    texts = [f"note {n}" for n in range(5)]

    connection.pause_writing()  # what the transport calls past its high-water mark
    await database_sync_to_async(record_notes)(session.pk, texts)
    async with asyncio.timeout(3):
        while len(outbox.frames) < len(texts):  # noqa: ASYNC110 (no event per frame queued)
            await asyncio.sleep(0.01)
    connection.resume_writing()  # the socket's writer has not run yet...
    outbox.put(0, encode_frame(Pong(ref="after")))  # ...so this must queue behind them

    received = [json.loads(await asyncio.wait_for(client.recv(), 3)) for _ in range(6)]
    assert [f.get("text", f.get("ref")) for f in received] == [*texts, "after"]
    await client.close()


async def test_a_socket_that_stops_reading_is_closed_with_the_resume_code(
    session, uvicorn_server, uvicorn_url, settings
):
    settings.PLENARY_SOCKET_QUEUE = 8
    slow = await viewer(uvicorn_url, session, receive_buffer=32768)
    squeeze(uvicorn_server, slow)
    (stalled,) = outboxes(session)
    fast = await viewer(uvicorn_url, session)

    # Notes come until the slow socket's queue overflows (a few hundred KB at most).
    sent = 0
    for _ in range(20):
        await database_sync_to_async(record_notes)(
            session.pk, [f"{n:04d} " + "x" * 2000 for n in range(sent, sent + 50)]
        )
        sent += 50
        assert len(await notes(fast, 50)) == 50
        if stalled.overflowed:
            break
    assert stalled.overflowed

    seqs, code = await read_until_closed(slow)

    assert code == CloseCode.TOO_SLOW
    assert seqs == list(range(1, len(seqs) + 1))  # what arrived has no gap: resume from it
    assert len(seqs) < sent
    await fast.close()


async def test_an_organiser_gets_replies_and_events_in_order(
    session, uvicorn_url, organiser, cookie_for
):
    cookie = await database_sync_to_async(cookie_for)(organiser)
    console = await websockets.connect(
        f"{uvicorn_url}/ws/sessions/{session.pk}/",
        origin="http://127.0.0.1",
        additional_headers={"Cookie": cookie},
    )
    async with asyncio.timeout(5):
        while json.loads(await console.recv())["type"] != "question.list":
            pass

    for ref in range(5):
        await console.send(json.dumps({"type": "ping", "ref": str(ref)}))
    await console.send(json.dumps({"type": "session.start", "ref": "start"}))
    await console.send(json.dumps({"type": "agenda.advance", "ref": "next"}))
    frames = []
    async with asyncio.timeout(5):
        # Two acks and three events (the status and two current items); an ack may
        # come before its events (always may, from Redis).
        while len([f for f in frames if f["type"] == "ack" or "seq" in f]) < 5:
            frames.append(json.loads(await console.recv()))

    assert [f["ref"] for f in frames if f["type"] == "pong"] == [str(n) for n in range(5)]
    assert [f["ref"] for f in frames if f["type"] == "ack"] == ["start", "next"]
    assert [f["seq"] for f in frames if "seq" in f] == [1, 2, 3]
    await console.close()


async def read_until_closed(client: Any) -> tuple[list[int], int | None]:
    """Read every frame until the server closes; return their seqs and the close code."""
    seqs: list[int] = []
    try:
        async with asyncio.timeout(10):
            while True:
                seqs.append(json.loads(await client.recv())["seq"])
    except websockets.ConnectionClosed as closed:
        return seqs, closed.rcvd.code if closed.rcvd else None


def test_only_uvicorn_connections_get_a_wire():
    async def not_a_server(message: dict[str, Any]) -> None:
        """A send without a Uvicorn connection behind it (Daphne, a test communicator)."""

    assert direct_wire(not_a_server) is None
    assert direct_wire(print) is None
