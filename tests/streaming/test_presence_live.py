"""Presence across real server processes sharing Redis: one count, whoever serves whom."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async

from tests import factories
from tests.conftest import login_cookie

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="processes share presence through Redis; this pass runs the embedded default",
    ),
]


async def connect(base: str, session_id: int, cookie: str | None = None) -> Any:
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}/"
    headers = {"Cookie": cookie} if cookie else {}
    return await websockets.connect(url, origin=base, additional_headers=headers)


async def count_reaches(socket: Any, viewers: int) -> None:
    """Read ``presence.count`` frames until one says ``viewers``."""
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "presence.count" and frame["viewers"] == viewers:
                return


async def test_viewers_on_two_processes_are_counted_once_each_even_after_a_storm(start_server):
    session = await sync_to_async(factories.make_session)()
    await sync_to_async(factories.make_stream)(session)
    organiser = await sync_to_async(factories.make_organiser)(session)
    first = await sync_to_async(start_server)("uvicorn")
    second = await sync_to_async(start_server)("daphne")
    watcher = await connect(first.url, session.pk)
    others = [await connect(u.url, session.pk) for u in [first, second] * 3]

    await count_reaches(watcher, 7)
    # A reconnect storm: everyone on the second process drops and comes back.
    for socket in others[1::2]:
        await socket.close()
    others[1::2] = await asyncio.gather(*(connect(second.url, session.pk) for _ in range(3)))
    console = await connect(second.url, session.pk, await login_cookie(organiser))
    await count_reaches(watcher, 8)
    await console.send(json.dumps({"type": "presence.who", "ref": "1"}))
    async with asyncio.timeout(10):
        while (frame := json.loads(await console.recv()))["type"] != "presence.list":
            pass

    assert (frame["viewers"], frame["anonymous"], frame["online"]) == (8, 7, 1)
    for socket in [watcher, console, *others]:
        await socket.close()
