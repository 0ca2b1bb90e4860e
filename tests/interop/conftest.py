"""The official y-websocket client (Node) as a subprocess the interop tests drive."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "frontend" / "node_modules"
SCRIPT = Path(__file__).with_name("yws_client.cjs")

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "y-websocket").is_dir(),
    reason="needs Node and frontend/node_modules (make setup runs npm ci)",
)


class NodeClient:
    """One ``WebsocketProvider`` in its own Node process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.text = ""
        self.synced = False
        self.closes: list[int | None] = []
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, ws_base: str, room: str, cookie: str | None = None) -> NodeClient:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            ws_base,
            room,
            cookie or "",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            event = json.loads(line)
            if event["event"] == "synced":
                self.synced = True
                self.text = event["text"]
            elif event["event"] == "text":
                self.text = event["text"]
            elif event["event"] == "close":
                self.closes.append(event["code"])
            self.changed.set()

    async def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def wait_for(self, predicate: Callable[[NodeClient], bool], seconds: float = 10) -> None:
        async with asyncio.timeout(seconds):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.send(op="quit")
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


@pytest.fixture
async def node_client() -> AsyncIterator[Callable[..., Any]]:
    started: list[NodeClient] = []

    async def start(ws_base: str, room: str, cookie: str | None = None) -> NodeClient:
        client = await NodeClient.start(ws_base, room, cookie)
        started.append(client)
        return client

    yield start
    for client in started:
        await client.stop()
