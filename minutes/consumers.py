"""The minutes socket, ``/ws/minutes/<session id>/``: y-websocket's binary protocol.

Thin by design: find the session's minutes (created with their skeleton on first
use) and decide whether this socket writes or reads, then hand every frame to the
process's room for the document (``minutes.services.rooms``). Frames to the client
go through a bounded queue drained by one writer task; a socket that falls too far
behind is closed with 4008 and resyncs on reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from minutes import access
from minutes.exceptions import NotAllowed
from minutes.protocol import MinutesCloseCode
from minutes.services import store
from minutes.services.rooms import MinutesRoom, Peer, get_registry
from plenary.realtime.consumers import SERVER_SEND

logger = logging.getLogger(__name__)


class MinutesConsumer(AsyncWebsocketConsumer):
    # No channel layer: rooms are process-local and relay through minutes' own relay.
    channel_layer_alias = "plenary.realtime.no-layer"
    room: MinutesRoom | None = None
    peer: Peer | None = None
    writer: asyncio.Task[None] | None = None
    close_code: int | None = None
    _closing: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        opening = await database_sync_to_async(self._open)()
        await self.accept()
        if opening is None:
            await self.close(code=MinutesCloseCode.NOT_FOUND)
            return
        minutes_id, can_edit = opening
        user = self.scope["user"]
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(settings.PLENARY_SOCKET_QUEUE)
        self.peer = Peer(
            can_edit=can_edit,
            user_id=user.pk if user.is_authenticated else None,
            send=self._queue,
            close=self._close_soon,
        )
        self.writer = asyncio.create_task(self._write())
        try:
            self.room = await get_registry().join(minutes_id, self.peer)
        except Exception:
            logger.exception("minutes %s: the room could not start", minutes_id)
            await self.close(code=MinutesCloseCode.SERVER_ERROR)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Run the handler without Channels' database hop before every message.

        Channels 4.3 runs ``close_old_connections`` in the database thread before each
        message a consumer gets: every keystroke of every writer then queued behind
        the room's writes in that one thread. Nothing here touches the database
        outside ``database_sync_to_async``, which cleans connections up itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    def _open(self) -> tuple[int, bool] | None:
        """The minutes id and whether this socket may write, or None (not visible)."""
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        user = self.scope["user"]
        try:
            minutes = store.ensure_minutes(session_id, user=user)
        except NotAllowed:
            return None
        return minutes.pk, access.access_write_minutes(user, minutes)

    def _queue(self, frame: bytes) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            assert self.peer is not None
            self.peer.close(MinutesCloseCode.TOO_SLOW)

    def _close_soon(self, code: int) -> None:
        """Close after the frames already queued; a socket too slow closes at once."""
        self.close_code = code
        if code != MinutesCloseCode.TOO_SLOW and not self.queue.full():
            self.queue.put_nowait(b"")  # the writer closes when it gets there
            return
        if self.writer is not None:
            self.writer.cancel()
        self._closing = asyncio.get_running_loop().create_task(self.close(code=code))

    async def _write(self) -> None:
        send = self.scope.get(SERVER_SEND, self.base_send)
        while True:
            frame = await self.queue.get()
            if not frame:
                await self.close(code=self.close_code)
                return
            try:
                await send({"type": "websocket.send", "bytes": frame})
            except (OSError, RuntimeError):  # the client went away; a disconnect follows
                return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None or self.peer is None:
            return
        if bytes_data is None:
            self.peer.close(MinutesCloseCode.BAD_FRAME)
            return
        await self.room.receive(self.peer, bytes_data)

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.cancel()
        if self.room is not None and self.peer is not None:
            self.room.leave(self.peer)
