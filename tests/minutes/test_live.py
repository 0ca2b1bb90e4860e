"""The minutes socket on real server processes, with real websocket clients.

A server killed with SIGKILL mid-session has stored every update any client had
received; the clients reconnect to a new process and resync. With ``REDIS_URL``
set, writers on two processes converge.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from minutes import protocol
from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import load_doc, plain_text
from tests import factories
from tests.conftest import login_cookie
from tests.minutes.yclient import WebsocketsTransport, YClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


async def connect(url: str, session_id: int, cookie: str | None = None, doc=None) -> YClient:
    headers = {"Cookie": cookie} if cookie else {}
    ws = await websockets.connect(
        url.replace("http://", "ws://") + f"/ws/minutes/{session_id}/",
        origin=url,
        additional_headers=headers,
    )
    client = await YClient(WebsocketsTransport(ws), doc=doc).start()
    async with asyncio.timeout(10):
        await client.synced.wait()
    return client


def covers(theirs: bytes, ours: bytes) -> bool:
    """Whether state vector ``ours`` includes everything ``theirs`` has."""
    return not protocol.has_more(
        protocol.decode_state_vector(theirs), protocol.decode_state_vector(ours)
    )


def stored_state(session_id: int) -> tuple[bytes, str]:
    minutes = Minutes.objects.get(session_id=session_id)
    doc = load_doc(store.load_document(minutes.pk).blobs())
    return doc.get_state(), plain_text(doc)


async def test_a_killed_server_loses_nothing_a_client_had_received(session, start_server):
    writer_user = await sync_to_async(factories.make_note_taker)(session)
    cookie = await login_cookie(writer_user)
    doomed = await sync_to_async(start_server)("uvicorn")
    writer = await connect(doomed.url, session.pk, cookie)
    reader = await connect(doomed.url, session.pk)

    async def keep_typing() -> None:
        for n in range(400):
            writer.type_into(1, f"<{n}>", offset=0)
            await asyncio.sleep(0.003)

    typing = asyncio.create_task(keep_typing())
    await reader.wait_for(lambda c: "<60>" in c.text())
    await sync_to_async(doomed.kill)()  # SIGKILL, mid-stream
    received = reader.doc.get_state()
    received_text = reader.text()
    await typing  # the writer keeps writing, offline

    stored, text = await database_sync_to_async(stored_state)(session.pk)
    assert covers(received, stored)
    assert all(f"<{n}>" in text for n in range(61))

    survivor = await sync_to_async(start_server)("uvicorn")
    await reader.close()
    await writer.close()
    fresh = await connect(survivor.url, session.pk)
    assert covers(received, fresh.doc.get_state())
    writer = await connect(survivor.url, session.pk, cookie, doc=writer.doc)  # resyncs
    reader = await connect(survivor.url, session.pk, doc=reader.doc)
    everything = [f"<{n}>" for n in range(400)]
    for client in (fresh, reader, writer):
        await client.wait_for(lambda c: all(mark in c.text() for mark in everything))
    assert fresh.text() == reader.text() == writer.text()
    assert received_text.count("Point 1") == fresh.text().count("Point 1") == 1
    for client in (fresh, reader, writer):
        await client.close()


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="several processes share state through Redis; this pass runs the embedded default",
)
async def test_writers_on_two_processes_converge(session, start_server):
    first, second = [await sync_to_async(start_server)("uvicorn") for _ in range(2)]
    users = [await sync_to_async(factories.make_note_taker)(session) for _ in range(2)]
    cookies = [await login_cookie(user) for user in users]
    writers = [
        await connect(first.url, session.pk, cookies[0]),
        await connect(second.url, session.pk, cookies[1]),
    ]
    readers = [await connect(first.url, session.pk), await connect(second.url, session.pk)]

    for n in range(50):
        writers[0].type_into(1, f"[A{n}]")
        writers[1].type_into(3, f"[B{n}]")
        await asyncio.sleep(0.005)

    marks = [f"[A{n}]" for n in range(50)] + [f"[B{n}]" for n in range(50)]
    for client in writers + readers:
        await client.wait_for(lambda c: all(mark in c.text() for mark in marks), seconds=15)
    texts = {client.text() for client in writers + readers}
    assert len(texts) == 1
    _, stored = await database_sync_to_async(stored_state)(session.pk)
    assert stored == texts.pop()
    for client in writers + readers:
        await client.close()
