"""The base consumer for sockets that follow one room.

On connect it checks access, joins the process hub, then sends either the events
missed since the client's ``?since=<seq>`` or a fresh snapshot, and from then on
the room's live events in ``seq`` order. Live events and replies go through the
socket's ``Outbox``: written straight to the connection's transport under Uvicorn
(``plenary.server.direct_wire``), else queued for the socket's one writer task,
which sends them with the server's ASGI ``send``. Either way frames to one socket
leave in order, and a slow socket costs a fixed amount of memory before it is
closed with ``CloseCode.TOO_SLOW``.

Subclasses implement ``find_room`` (access included), ``snapshot`` and
``handle_frame``; they reply with ``self.reply(frame)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
from plenary.server import direct_wire

logger = logging.getLogger(__name__)

#: How long an anonymous snapshot is reused for other sockets at the same seq.
SHARED_SNAPSHOT_SECONDS = 2.0
_shared_snapshots: dict[tuple[str, int], tuple[float, tuple[str, ...]]] = {}


class KeepServerSend:
    """ASGI middleware: keep the server's own ``send`` in the scope.

    Channels' session and auth middleware wrap ``send`` to save the session when a
    response starts; a room event frame needs none of that, and at tens of
    thousands of frames a second the wrappers cost a large share of a core. The
    writer sends room frames with this one (``SERVER_SEND``), and under Uvicorn it
    leads to the connection that ``direct_wire`` writes to.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        return await self.app({**scope, SERVER_SEND: send}, receive, send)


SERVER_SEND = "plenary.server_send"


class RoomConsumer(AsyncWebsocketConsumer):
    # Rooms are served by the process hub, not by channel-layer groups: an alias
    # with no configured layer spares each socket its own layer channel and
    # receive loop (get_channel_layer returns None for it).
    channel_layer_alias = "plenary.realtime.no-layer"
    room: str | None = None
    outbox: Outbox | None = None
    writer: asyncio.Task[None] | None = None
    closing: asyncio.Task[None] | None = None
    joined: list[str] = []

    # -- to implement ---------------------------------------------------------------

    def find_room(self) -> str | None:
        """Return the room this socket may follow, or None (missing or forbidden)."""
        raise NotImplementedError

    def extra_rooms(self) -> Sequence[str]:
        """Rooms of ephemeral frames this socket also follows (moderators, one user).

        Called in the database thread after ``find_room``; their frames carry no
        ``seq`` and are not replayed.
        """
        return ()

    def resume_needs_snapshot(self) -> bool:
        """Whether a reconnecting socket must get a snapshot rather than a replay,
        because an extra room's frames carry state the replay would miss (say, the
        moderators' pending items). Called after ``extra_rooms``."""
        return False

    def snapshot(self, seq: int) -> Sequence[Any]:
        """Return the frames that describe the room as of ``seq`` (sync, in a thread)."""
        raise NotImplementedError

    async def handle_frame(self, text: str) -> None:
        raise NotImplementedError

    # -- connection -------------------------------------------------------------------

    async def connect(self) -> None:
        self.language = self._language()
        translation.activate(self.language)
        opening = await database_sync_to_async(self._prepare)(self._since())
        await self.accept()
        if opening is None:
            await self.close(code=protocol.CloseCode.NOT_FOUND)
            return
        room, frames, seq, extra = opening
        self.room = room
        self.outbox = Outbox(settings.PLENARY_SOCKET_QUEUE, self._too_slow)
        hub = get_hub()
        await hub.join(room, self.outbox)
        self.joined = [room]
        try:
            for other in extra:
                await hub.join(other, self.outbox)
                self.joined.append(other)
            # Events the hub fanned out between our read of the log and our joining
            # went to the others only: read them back. Later ones are in our outbox.
            delivered = hub.last_seq(room)
            if delivered > seq:
                missed = await database_sync_to_async(events_between)(room, seq, delivered)
                frames += [frame for _, frame in missed]
                seq = delivered
            for frame in frames:
                await self.send(text_data=frame)
        except BaseException:
            # The client left during the opening (or the server failed): Channels
            # will not call disconnect(), so leave the rooms here.
            await self._leave_all()
            self.room = None
            raise
        send = self.scope.get(SERVER_SEND, self.base_send)
        self.outbox.start(seq, direct_wire(send))
        self.writer = asyncio.create_task(self._write(send))

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

    def _prepare(self, since: int | None) -> tuple[str, list[str], int, Sequence[str]] | None:
        """Find the room and the frames to send first, in one trip to the database.

        The frames are the events missed since ``since`` if they can be replayed,
        else a snapshot as of the room's current ``seq``.
        """
        room = self.find_room()
        if room is None:
            return None
        extra = self.extra_rooms()
        seq = current_seq(room)
        if (
            since is not None
            and not self.resume_needs_snapshot()
            and 0 <= since <= seq <= since + settings.PLENARY_RESUME_LIMIT
        ):
            return room, [frame for _, frame in events_between(room, since, seq)], seq, extra
        return room, self._snapshot_frames(room, seq), seq, extra

    def _snapshot_frames(self, room: str, seq: int) -> list[str]:
        if not self.snapshot_is_shared():
            return [encode_frame(f) for f in self.snapshot(seq)]
        # A crowd arriving (or coming back after a restart) mostly gets the same
        # anonymous snapshot: build it once per room and seq. The short life bounds
        # how long a change made without a room event (the admin) goes unseen.
        key = (room, seq)
        now = time.monotonic()
        cached = _shared_snapshots.get(key)
        if cached is not None and cached[0] > now:
            return list(cached[1])
        frames = [encode_frame(f) for f in self.snapshot(seq)]
        if len(_shared_snapshots) > 256:
            for stale in [k for k, (expiry, _) in _shared_snapshots.items() if expiry <= now]:
                _shared_snapshots.pop(stale, None)
        _shared_snapshots[key] = (now + SHARED_SNAPSHOT_SECONDS, tuple(frames))
        return frames

    def snapshot_is_shared(self) -> bool:
        """Whether this socket's snapshot is the same for everyone like it (anonymous)."""
        return not self.scope["user"].is_authenticated

    async def _write(self, send: Any) -> None:
        """Send what the outbox queues (all of it without a wire, backlog with one)."""
        assert self.outbox is not None

        async def send_text(text: str) -> None:
            await send({"type": "websocket.send", "text": text})

        try:
            await self.outbox.run(send_text)
        except (OSError, RuntimeError):  # the client went away; a disconnect follows
            return

    def _too_slow(self) -> None:
        """Drop what is queued and close: the client resumes from its last seq."""
        logger.info("closing a socket that fell behind in %s", self.room)
        if self.writer is not None:
            self.writer.cancel()
        self.closing = asyncio.get_running_loop().create_task(
            self.close(code=protocol.CloseCode.TOO_SLOW)
        )

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.cancel()
        if self.room is not None:
            await self._leave_all()

    async def _leave_all(self) -> None:
        if self.outbox is None:
            return
        hub = get_hub()
        for room in self.joined:
            await hub.leave(room, self.outbox)
        self.joined = []

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
