"""The official y-websocket client syncs with Plenary's minutes endpoint.

``WebsocketProvider`` from y-websocket 2.1 (unmodified, in Node, with ``ws`` as its
WebSocket) talks to a real Uvicorn process serving the app; on the other side a
Python y-websocket client (pycrdt) or a second Node client. Edits made on either
side converge, and a reader's edit is refused.
"""

from __future__ import annotations

import pytest
import websockets
from asgiref.sync import sync_to_async

from minutes.protocol import MinutesCloseCode
from tests import factories
from tests.conftest import login_cookie
from tests.interop.conftest import needs_node
from tests.minutes.yclient import WebsocketsTransport, YClient

pytestmark = [needs_node, pytest.mark.live, pytest.mark.django_db(transaction=True)]

SKELETON = "Point 1\n\nPoint 2\n\nPoint 3\n"


def ws_base(url: str) -> str:
    return url.replace("http://", "ws://") + "/ws/minutes"


async def python_client(url: str, session_id: int, cookie: str | None) -> YClient:
    headers = {"Cookie": cookie} if cookie else {}
    ws = await websockets.connect(
        f"{ws_base(url)}/{session_id}/", origin=url, additional_headers=headers
    )
    client = await YClient(WebsocketsTransport(ws)).start()
    await client.wait_for(lambda c: c.synced.is_set())
    return client


async def test_node_and_python_clients_converge(session, live_server_url, node_client):
    writer = await sync_to_async(factories.make_note_taker)(session)
    cookie = await login_cookie(writer)
    node = await node_client(ws_base(live_server_url), f"{session.pk}/", cookie)
    await node.wait_for(lambda c: c.synced)
    python = await python_client(live_server_url, session.pk, cookie)
    assert node.text == python.text() == SKELETON

    await node.send(op="type", block=1, text="Depuis Node. ")
    python.type_into(3, "Depuis Python. ")
    await node.send(op="append", text="Clôture")

    def done(text: str) -> bool:
        return all(part in text for part in ("Depuis Node.", "Depuis Python.", "Clôture"))

    await python.wait_for(lambda c: done(c.text()))
    await node.wait_for(lambda c: done(c.text))
    assert node.text == python.text()
    await python.close()


async def test_two_node_clients_converge_on_concurrent_edits(session, live_server_url, node_client):
    writer = await sync_to_async(factories.make_note_taker)(session)
    cookie = await login_cookie(writer)
    first = await node_client(ws_base(live_server_url), f"{session.pk}/", cookie)
    second = await node_client(ws_base(live_server_url), f"{session.pk}/", cookie)
    await first.wait_for(lambda c: c.synced)
    await second.wait_for(lambda c: c.synced)

    for n in range(10):
        await first.send(op="type", block=1, text=f"a{n} ")
        await second.send(op="type", block=1, text=f"b{n} ")

    def complete(client) -> bool:
        return all(f"a{n} " in client.text and f"b{n} " in client.text for n in range(10))

    await first.wait_for(complete)
    await second.wait_for(complete)
    assert first.text == second.text
    assert first.text.count("Point 1") == 1  # the skeleton was not duplicated


async def test_a_node_reader_is_refused_and_the_writers_never_see_its_edit(
    session, live_server_url, node_client
):
    writer = await sync_to_async(factories.make_note_taker)(session)
    python = await python_client(live_server_url, session.pk, await login_cookie(writer))
    reader = await node_client(ws_base(live_server_url), f"{session.pk}/")
    await reader.wait_for(lambda c: c.synced)

    await reader.send(op="append", text="graffiti")

    await reader.wait_for(lambda c: MinutesCloseCode.READ_ONLY in c.closes)
    python.type_into(1, "Écrit par la secrétaire")
    await reader.wait_for(lambda c: "Écrit par la secrétaire" in c.text)
    assert "graffiti" not in python.text()
    await python.close()
