"""The minutes relay: carries stored updates (and cursors) to every process's room.

Each process keeps one authoritative copy of an active document (its room). An
update accepted on one process is stored, then relayed to the rooms of the others,
which apply it and pass it to their sockets.

``InProcessRelay`` (the embedded default, no ``REDIS_URL``) connects the rooms of
one process (one per event loop). ``RedisStreamRelay`` appends to one Redis
*stream* per document, which each process reads from the position it noted when it
opened the document. A stream keeps its entries, so a reader that reconnects or is
slow resumes where it was: nothing is dropped silently, unlike a channel layer
group (capacity 100 by default) or pub/sub (lost while disconnected).

Invariants: a room opens its channel (noting the stream's position) *before* it
loads the document from the database, and starts reading after: an update stored
after the load was relayed after the noted position, one stored before is in the
load; either way nothing is missed (Yjs updates are idempotent, so the overlap is
harmless). Publications happen after the update's transaction commits. A stream
is trimmed to about ``STREAM_LENGTH`` entries and expires a day after its last
entry; a room that fell further behind fills the gap from the database (see
``rooms.MinutesRoom.check_gaps``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Literal, Protocol, cast

import msgspec
from django.conf import settings

from plenary.realtime.bus import bus_prefix

logger = logging.getLogger(__name__)

#: Entries kept per stream (approximately: Redis trims whole nodes).
STREAM_LENGTH = 10_000
STREAM_TTL_SECONDS = 86_400
#: How long one XREAD blocks before it is issued again.
READ_BLOCK_MS = 2_000


class RelayMessage(msgspec.Struct, forbid_unknown_fields=True, array_like=True):
    """What travels between processes: a stored update, awareness, or a reset."""

    kind: Literal["update", "awareness", "reset"]
    origin: str  # the room that published it (a room skips its own)
    update_id: int = 0  # the stored update's id (``update``)
    payload: bytes = b""  # the Yjs update, or the awareness update


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(RelayMessage)

Deliver = Callable[[RelayMessage], None]
Entry = tuple[bytes, dict[bytes, bytes]]  # a stream entry: id, fields


class RelayChannel(Protocol):
    async def start(self) -> None: ...
    async def publish(self, message: RelayMessage) -> None: ...
    async def close(self) -> None: ...


class Relay(Protocol):
    cross_process: bool

    async def open(self, minutes_id: int, deliver: Deliver) -> RelayChannel: ...
    def publish_sync(self, minutes_id: int, message: RelayMessage) -> None: ...


# -- in process ------------------------------------------------------------------------


class _LocalChannel:
    def __init__(self, relay: InProcessRelay, minutes_id: int, deliver: Deliver) -> None:
        self.relay = relay
        self.minutes_id = minutes_id
        self.deliver = deliver
        self.loop = asyncio.get_running_loop()

    async def start(self) -> None:
        """Deliveries already flow from ``open``: nothing is queued elsewhere."""

    async def publish(self, message: RelayMessage) -> None:
        self.relay.publish_sync(self.minutes_id, message, sender=self)

    async def close(self) -> None:
        self.relay.forget(self)


class InProcessRelay:
    """Rooms of one process (one per event loop) hand each other their messages."""

    cross_process = False

    def __init__(self) -> None:
        self._channels: dict[int, list[_LocalChannel]] = {}
        self._lock = threading.Lock()

    async def open(self, minutes_id: int, deliver: Deliver) -> RelayChannel:
        channel = _LocalChannel(self, minutes_id, deliver)
        with self._lock:
            self._channels.setdefault(minutes_id, []).append(channel)
        return channel

    def forget(self, channel: _LocalChannel) -> None:
        with self._lock:
            channels = self._channels.get(channel.minutes_id, [])
            if channel in channels:
                channels.remove(channel)
            if not channels:
                self._channels.pop(channel.minutes_id, None)

    def publish_sync(
        self, minutes_id: int, message: RelayMessage, sender: _LocalChannel | None = None
    ) -> None:
        with self._lock:
            targets = [c for c in self._channels.get(minutes_id, []) if c is not sender]
        for channel in targets:
            try:
                channel.loop.call_soon_threadsafe(channel.deliver, message)
            except RuntimeError:  # that loop has closed; its room is gone
                self.forget(channel)


# -- Redis streams -----------------------------------------------------------------------


class _StreamChannel:
    """One document's stream, read from the position noted at opening."""

    def __init__(self, relay: RedisStreamRelay, minutes_id: int, deliver: Deliver) -> None:
        import redis.asyncio as aioredis

        self.relay = relay
        self.key = relay.key(minutes_id)
        self.deliver = deliver
        self.client = aioredis.Redis.from_url(
            relay.url, socket_connect_timeout=5, health_check_interval=30
        )
        self.position = "0-0"
        self.reader: asyncio.Task[None] | None = None

    async def note_position(self) -> None:
        last = cast(list[tuple[bytes, Any]], await self.client.xrevrange(self.key, count=1))
        self.position = last[0][0].decode() if last else "0-0"

    async def start(self) -> None:
        self.reader = asyncio.create_task(self._read(), name=f"minutes-relay {self.key}")

    async def _read(self) -> None:
        while True:
            try:
                batches = await self.client.xread(
                    {self.key: self.position}, block=READ_BLOCK_MS, count=500
                )
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection broke: resume from the same position
                logger.exception("minutes relay: reading %s failed; retrying", self.key)
                await asyncio.sleep(0.5)
                continue
            for _key, entries in cast(list[tuple[bytes, list[Entry]]], batches or []):
                for entry_id, fields in entries:
                    self.position = entry_id.decode()
                    try:
                        self.deliver(_decoder.decode(fields[b"m"]))
                    except Exception:  # one bad entry must not stop the document
                        logger.exception("minutes relay: could not deliver %s", entry_id)

    async def publish(self, message: RelayMessage) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.xadd(self.key, {"m": _encoder.encode(message)}, maxlen=STREAM_LENGTH)
            pipe.expire(self.key, STREAM_TTL_SECONDS)
            await pipe.execute()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        await self.client.aclose()


class RedisStreamRelay:
    """One Redis stream per active document, read by every process that has it open.

    Keys start with the bus prefix, so deployments (and test runs) sharing a Redis
    server never read each other's documents.
    """

    cross_process = True

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def key(self, minutes_id: int) -> str:
        return f"{self.prefix}minutes:{minutes_id}"

    async def open(self, minutes_id: int, deliver: Deliver) -> RelayChannel:
        channel = _StreamChannel(self, minutes_id, deliver)
        try:
            await channel.note_position()
        except BaseException:
            await channel.client.aclose()
            raise
        return channel

    def publish_sync(self, minutes_id: int, message: RelayMessage) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.xadd(self.key(minutes_id), {"m": _encoder.encode(message)}, maxlen=STREAM_LENGTH)
            pipe.expire(self.key(minutes_id), STREAM_TTL_SECONDS)
            pipe.execute()


_relay: Relay | None = None
_relay_lock = threading.Lock()


def get_relay() -> Relay:
    """Return the process's relay, chosen from settings on first use."""
    global _relay
    with _relay_lock:
        if _relay is None:
            url = settings.PLENARY_ROOM_BUS_URL
            _relay = RedisStreamRelay(url, bus_prefix()) if url else InProcessRelay()
        return _relay
