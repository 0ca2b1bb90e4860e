"""The base consumer for sockets that follow one room.

On connect it checks access, joins the process hub, then sends either the events
missed since the client's ``?since=<seq>`` or a fresh snapshot, and from then on
the room's live events in ``seq`` order. One writer task drains the socket's
bounded outbox, so frames to one socket are written one at a time and a slow
socket costs a fixed amount of memory before it is closed with
``CloseCode.TOO_SLOW``.

Subclasses implement ``find_room`` (access included), ``snapshot`` and
``handle_frame``; they reply with ``self.reply(frame)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)

from plenary.realtime import protocol
from plenary.realtime.events import current_seq, encode_frame, events_between
from plenary.realtime.hub import Outbox, get_hub

logger = logging.getLogger(__name__)


class RoomConsumer(AsyncWebsocketConsumer):
    # Rooms are served by the process hub, not by channel-layer groups: an alias
    # with no configured layer spares each socket its own layer channel and
    # receive loop (get_channel_layer returns None for it).
    channel_layer_alias = "plenary.realtime.no-layer"
    room: str | None = None
    outbox: Outbox | None = None
    writer: asyncio.Task[None] | None = None
    last_sent = 0

    # -- to implement ---------------------------------------------------------------

    def find_room(self) -> str | None:
        """Return the room this socket may follow, or None (missing or forbidden)."""
        raise NotImplementedError

    def snapshot(self, seq: int) -> Sequence[Any]:
        """Return the frames that describe the room as of ``seq`` (sync, in a thread)."""
        raise NotImplementedError

    async def handle_frame(self, text: str) -> None:
        raise NotImplementedError

    # -- connection -------------------------------------------------------------------

    async def connect(self) -> None:
        self.language = self._language()
        translation.activate(self.language)
        room = await database_sync_to_async(self.find_room)()
        await self.accept()
        if room is None:
            await self.close(code=protocol.CloseCode.NOT_FOUND)
            return
        self.room = room
        self.outbox = Outbox(settings.PLENARY_SOCKET_QUEUE, self._too_slow)
        await get_hub().join(room, self.outbox)
        since = self._since()
        frames, self.last_sent = await database_sync_to_async(self._opening)(room, since)
        for frame in frames:
            await self.send(text_data=frame)
        self.writer = asyncio.create_task(self._write())

    def _language(self) -> str:
        """The page's language: the language cookie, else the browser's preference."""
        preferred = [self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")]
        headers = dict(self.scope.get("headers", []))
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        preferred += [lang for lang, _ in parse_accept_lang_header(accept)]
        for code in preferred:
            try:
                return get_supported_language_variant(code)
            except LookupError:
                continue
        return settings.LANGUAGE_CODE

    def _since(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            return int(query["since"][0])
        except (KeyError, ValueError):
            return None

    def _opening(self, room: str, since: int | None) -> tuple[list[str], int]:
        """Frames to send first: the missed events if they can be replayed, else a snapshot."""
        seq = current_seq(room)
        if since is not None and 0 <= since <= seq and seq - since <= settings.PLENARY_RESUME_LIMIT:
            return [frame for _, frame in events_between(room, since, seq)], seq
        return [encode_frame(f) for f in self.snapshot(seq)], seq

    async def _write(self) -> None:
        assert self.outbox is not None
        queue = self.outbox.queue
        while True:
            seq, frame = await queue.get()
            if seq:
                if seq <= self.last_sent:
                    continue  # already sent in the opening replay
                self.last_sent = seq
            try:
                await self.send(text_data=frame)
            except OSError:  # the client went away; the server sends us a disconnect
                return

    def _too_slow(self) -> None:
        """Drop what is queued and close: the client resumes from its last seq."""
        logger.info("closing a socket that fell behind in %s", self.room)
        if self.writer is not None:
            self.writer.cancel()
        asyncio.get_running_loop().create_task(self.close(code=protocol.CloseCode.TOO_SLOW))

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.cancel()
        if self.room is not None and self.outbox is not None:
            await get_hub().leave(self.room, self.outbox)

    # -- inbound ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return
        if text_data is None:
            self.reply(protocol.Error(code="bad_frame", message=_("Frames are JSON text.")))
            return
        with translation.override(self.language):
            if len(text_data) > protocol.MAX_INBOUND_FRAME:
                self.reply(protocol.Error(code="frame_too_large", message=_("Frame too large.")))
                return
            await self.handle_frame(text_data)

    def reply(self, frame: Any) -> None:
        """Queue a frame for this socket only, after what it already has to send."""
        if self.outbox is not None:
            self.outbox.put(0, encode_frame(frame))
