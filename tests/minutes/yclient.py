"""A y-websocket client in Python (pycrdt), behaving as a browser's WebsocketProvider.

On connect it sends sync step 1 (and its awareness state, if any); it answers the
server's step 1 with step 2, applies step 2 and updates, and sends an update for
every local change. It runs over a real websocket (``websockets``) or over
Channels' ``WebsocketCommunicator``, so the same client drives consumer tests, live
tests against real server processes and the benchmarks' checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, TransactionEvent, XmlElement, XmlFragment, XmlText

from minutes import protocol
from minutes.protocol import AwarenessEntry
from minutes.services.document import FRAGMENT, plain_text


class Closed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class CommunicatorTransport:
    """``WebsocketCommunicator`` as a transport."""

    def __init__(self, communicator: Any) -> None:
        self.communicator = communicator

    async def send(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def recv(self) -> bytes:
        message = await self.communicator.receive_output(timeout=10)
        if message["type"] == "websocket.close":
            raise Closed(message.get("code"))
        return bytes(message["bytes"])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.communicator.disconnect()


class WebsocketsTransport:
    """A ``websockets`` client connection as a transport."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, data: bytes) -> None:
        await self.ws.send(data)

    async def recv(self) -> bytes:
        from websockets.exceptions import ConnectionClosed

        try:
            data = await self.ws.recv()
        except ConnectionClosed as exc:
            raise Closed(exc.rcvd.code if exc.rcvd else None) from None
        if isinstance(data, str):
            raise AssertionError(f"a text frame from the server: {data!r}")
        return bytes(data)

    async def close(self) -> None:
        await self.ws.close()


class YClient:
    """One client's document, synced over ``transport``."""

    def __init__(self, transport: Any, *, doc: Doc | None = None, name: str = "") -> None:
        self.transport = transport
        self.doc = doc or Doc()
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        self.name = name
        self.synced = asyncio.Event()
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self.received: list[bytes] = []  # every update applied from the server
        self.awareness: dict[int, tuple[int, str]] = {}
        self.changed = asyncio.Event()
        self._applying = False
        self._clock = 0
        self._subscription = self.doc.observe(self._on_change)
        self._tasks: list[asyncio.Task[None]] = []

    # -- running -------------------------------------------------------------------------

    async def start(self) -> YClient:
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._write())]
        self.outgoing.put_nowait(protocol.encode_sync_step1(self.doc.get_state()))
        return self

    async def _read(self) -> None:
        try:
            while True:
                self._handle(await self.transport.recv())
        except Closed as exc:
            if not self.closed.done():
                self.closed.set_result(exc.code)
        except asyncio.CancelledError:
            raise
        except Exception:
            if not self.closed.done():
                self.closed.set_result(None)

    async def _write(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await self.transport.send(await self.outgoing.get())

    def _handle(self, data: bytes) -> None:
        message = protocol.decode_message(data)
        match message:
            case protocol.SyncStep1(state_vector=sv):
                self.outgoing.put_nowait(protocol.encode_sync_step2(self.doc.get_update(sv)))
            case protocol.SyncStep2(update=update) | protocol.SyncUpdate(update=update):
                self._apply(update)
                if isinstance(message, protocol.SyncStep2):
                    self.synced.set()
            case protocol.Awareness(entries=entries):
                for entry in entries:
                    if entry.state == "null":
                        self.awareness.pop(entry.client, None)
                    else:
                        self.awareness[entry.client] = (entry.clock, entry.state)
                self.changed.set()

    def _apply(self, update: bytes) -> None:
        self._applying = True
        try:
            self.doc.apply_update(update)
        finally:
            self._applying = False
        self.received.append(update)
        self.changed.set()

    def _on_change(self, event: TransactionEvent) -> None:
        if not self._applying and event.update != protocol.EMPTY_UPDATE:
            self.outgoing.put_nowait(protocol.encode_update(event.update))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.transport.close()

    # -- editing -----------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.outgoing.put_nowait(data)

    def set_awareness(self, state: dict[str, Any] | None) -> None:
        self._clock += 1
        entry = AwarenessEntry(self.doc.client_id, self._clock, json.dumps(state))
        self.outgoing.put_nowait(protocol.encode_awareness([entry]))

    def append_paragraph(self, text: str) -> None:
        self.fragment.children.append(XmlElement("paragraph", None, [XmlText(text)]))

    def type_into(self, block: int, text: str, offset: int = 0) -> None:
        """Type ``text`` at ``offset`` in the text of top-level block ``block``."""
        element = self.fragment.children[block]
        if not element.children:
            element.children.append(XmlText())
        element.children[0].insert(offset, text)

    def text(self) -> str:
        return plain_text(self.doc)

    async def wait_for(self, predicate: Callable[[YClient], bool], seconds: float = 10) -> None:
        async with asyncio.timeout(seconds):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()

    async def wait_closed(self, seconds: float = 5) -> int | None:
        async with asyncio.timeout(seconds):
            return await asyncio.shield(self.closed)
