"""The bridge across real processes: the stand-in, a server, and the bridge either
inside the server (``make run``) or in ``manage.py run_bridge``, with real
websocket clients in the session's room."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async

from livechat.bridge.serve import BRIDGED_APPLICATION
from plenary.server import APPLICATION
from tests.conftest import login_cookie
from tests.livechat.bridge.conftest import configure
from tests.servers import ROOT, AsgiServer

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


class BridgedServer(AsgiServer):
    """What ``make run`` serves: the app with the bridge on the server's loop."""

    def command(self) -> list[str]:
        return [BRIDGED_APPLICATION if p == APPLICATION else p for p in super().command()]


async def connect(base: str, session_id: int, cookie: str | None = None) -> Any:
    headers = {"Cookie": cookie} if cookie else {}
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}/"
    return await websockets.connect(url, origin=base, additional_headers=headers)


async def frame_of(socket: Any, kind: str, within: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame


@pytest.fixture
def server_with_bridge(server_env):
    server = BridgedServer("uvicorn", {**server_env, "PLENARY_BRIDGE_READ_TIMEOUT": "5"})
    yield server
    server.stop()


async def test_a_toot_reaches_the_moderators_console_and_once_approved_the_room(
    bridge, standin, event_session, organiser, server_with_bridge
):
    await sync_to_async(configure)(bridge, standin, bluesky=False)
    await sync_to_async(server_with_bridge.start)()
    cookie = await login_cookie(organiser)
    console = await connect(server_with_bridge.url, event_session.pk, cookie)
    viewer = await connect(server_with_bridge.url, event_session.pk)
    status = await frame_of(console, "bridge.status")
    while not status["networks"][0]["connected"]:
        status = await frame_of(console, "bridge.status")
    assert status["hashtags"] == ["AssMedNum"]

    standin.toot("Depuis Mastodon #assmednum", spoiler_text="Long")
    queued = (await frame_of(console, "chat.queued"))["item"]
    assert queued["held_for"] == "imported"
    assert queued["message"]["source"]["network"] == "mastodon"
    assert queued["message"]["source"]["content_warning"] == "Long"

    await console.send(json.dumps({"type": "chat.approve", "id": queued["message"]["id"]}))
    shown = (await frame_of(viewer, "chat.message"))["message"]
    assert shown["text"] == "Depuis Mastodon #assmednum"
    assert shown["source"]["author_handle"] == "claire"

    # Moderators send a message out: only imported posts cannot go (back) out.
    await console.send(json.dumps({"type": "bridge.send", "id": shown["id"], "ref": "s"}))
    assert (await frame_of(console, "error"))["code"] == "invalid_message"
    await console.send(json.dumps({"type": "chat.post", "text": "Merci !", "client_id": "c1"}))
    mine = (await frame_of(viewer, "chat.message"))["message"]
    await console.send(json.dumps({"type": "bridge.send", "id": mine["id"], "ref": "t"}))
    assert (await frame_of(console, "ack"))["ref"] == "t"
    posted = await asyncio.to_thread(
        standin.wait_for,
        lambda s: [x for x in s["statuses"] if x["account"]["username"] == "plenary"],
    )
    assert "Merci !" in posted[0]["content"]
    await asyncio.sleep(1)  # its copy comes back on the stream: not shown again
    await console.close()
    await viewer.close()


async def test_run_bridge_in_its_own_process_brings_bluesky_posts_into_the_room(
    bridge, standin, event_session, start_server, server_env
):
    bridge.imports = "chat"  # straight to the room, as an open chat does
    await sync_to_async(configure)(bridge, standin, mastodon=False)
    server = await sync_to_async(start_server)("uvicorn")
    viewer = await connect(server.url, event_session.pk)
    await frame_of(viewer, "chat.history")
    log = ROOT / "var" / f"run-bridge-{standin.port}.log"

    def start_bridge() -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "manage.py", "run_bridge", "--reload", "0.5"],
                cwd=ROOT,
                env={**server_env, "PLENARY_BLUESKY_APPVIEW": standin.url},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    process = await asyncio.to_thread(start_bridge)
    try:
        await asyncio.to_thread(standin.wait_for, lambda s: s["connections"]["jetstream"], 20)
        standin.skeet("Depuis Bluesky #AssMédNum", did="did:plc:lea", handle="lea.bsky.social")
        # Embedded default: the server finds the event in the room log within its
        # periodic check (5 s); with REDIS_URL set it arrives at once.
        shown = (await frame_of(viewer, "chat.message", within=15))["message"]
        assert shown["source"]["author_handle"] == "lea.bsky.social"
    finally:
        process.send_signal(2)  # Ctrl-C: stops cleanly
        assert await asyncio.to_thread(process.wait, 15) == 0, log.read_text()
        await viewer.close()
    assert "Bridge stopped." in log.read_text()
