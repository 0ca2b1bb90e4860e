"""The room bus: carries each published frame to every process's hubs, once.

``InProcessBus`` (the embedded default) hands frames to the hubs of this process.
``RedisBus`` publishes on one Redis pub/sub channel per room; each hub holds one
subscription per active room, so a frame reaches each process once, whatever the
number of sockets. Pub/sub has no small per-channel queue that silently drops, as
a channel layer's group does; a reconnect or a subscriber past Redis's output
buffer limit can still lose a message: a hub notices the gap in ``seq`` (on the next
event, or at its periodic check) and reads the missing events from the log.

``publish`` is synchronous and thread-safe: services call it from
``transaction.on_commit`` in whatever thread ran the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

Deliver = Callable[[str, int, str], None]


class Subscription(Protocol):
    async def add(self, room: str) -> None: ...
    async def remove(self, room: str) -> None: ...
    async def close(self) -> None: ...


class Bus(Protocol):
    def publish(self, room: str, seq: int, frame: str) -> None: ...
    def subscription(self, deliver: Deliver) -> Subscription: ...


class _LocalSubscription:
    def __init__(self, bus: InProcessBus, deliver: Deliver) -> None:
        self.bus = bus
        self.deliver = deliver
        self.loop = asyncio.get_running_loop()
        self.rooms: set[str] = set()

    async def add(self, room: str) -> None:
        self.rooms.add(room)

    async def remove(self, room: str) -> None:
        self.rooms.discard(room)

    async def close(self) -> None:
        self.rooms.clear()
        self.bus.forget(self)


class InProcessBus:
    """Delivers to the hubs of this process, on each hub's own event loop."""

    def __init__(self) -> None:
        self._subscriptions: list[_LocalSubscription] = []
        self._lock = threading.Lock()

    def subscription(self, deliver: Deliver) -> Subscription:
        sub = _LocalSubscription(self, deliver)
        with self._lock:
            self._subscriptions.append(sub)
        return sub

    def forget(self, sub: _LocalSubscription) -> None:
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)

    def publish(self, room: str, seq: int, frame: str) -> None:
        with self._lock:
            targets = [s for s in self._subscriptions if room in s.rooms]
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub.deliver, room, seq, frame)
            except RuntimeError:  # that loop has closed; its hub is gone
                self.forget(sub)


class _RedisSubscription:
    """One pub/sub connection for a hub; one channel per room it serves."""

    def __init__(self, bus: RedisBus, deliver: Deliver) -> None:
        import redis.asyncio as aioredis

        self.bus = bus
        self.deliver = deliver
        self.client = aioredis.Redis.from_url(
            bus.url, socket_connect_timeout=5, health_check_interval=30
        )
        self.pubsub = self.client.pubsub()
        self.reader: asyncio.Task[None] | None = None
        self.confirmed: dict[bytes, asyncio.Event] = {}

    async def add(self, room: str) -> None:
        """Subscribe to ``room`` and return once Redis has confirmed it.

        Until Redis confirms, a publication could be missed; the hub reads the
        room's baseline ``seq`` only after this returns.
        """
        channel = self.bus.channel(room).encode()
        confirmed = self.confirmed[channel] = asyncio.Event()
        await self.pubsub.subscribe(channel)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self._read(), name="plenary-room-bus")
        try:
            await asyncio.wait_for(confirmed.wait(), timeout=5)
        finally:
            self.confirmed.pop(channel, None)

    async def remove(self, room: str) -> None:
        await self.pubsub.unsubscribe(self.bus.channel(room))

    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection broke: redis-py reconnects and resubscribes
                logger.exception("room bus read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            try:
                self._take(message)
            except Exception:  # one bad message must not stop the room events
                logger.exception("room bus: could not deliver %r", message)

    def _take(self, message: dict[str, Any]) -> None:
        if message["type"] == "subscribe":
            if (event := self.confirmed.get(message["channel"])) is not None:
                event.set()
            return
        if message["type"] != "message":
            return
        room = self.bus.room(message["channel"].decode())
        seq, _, frame = message["data"].partition(b"\n")
        self.deliver(room, int(seq), frame.decode())

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        await self.pubsub.aclose()
        await self.client.aclose()


class RedisBus:
    """One Redis pub/sub channel per room; one subscription per room per hub.

    Channel names start with ``prefix``, so deployments (and test runs) sharing a
    Redis server never hear each other: pub/sub ignores Redis database numbers.
    """

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.url = url
        self.prefix = prefix
        # Short timeouts: publishing runs in the thread that serves the database.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def channel(self, room: str) -> str:
        return f"{self.prefix}room:{room}"

    def room(self, channel: str) -> str:
        return channel.removeprefix(f"{self.prefix}room:")

    def subscription(self, deliver: Deliver) -> Subscription:
        return _RedisSubscription(self, deliver)

    def publish(self, room: str, seq: int, frame: str) -> None:
        self.client.publish(self.channel(room), b"%d\n%s" % (seq, frame.encode()))


_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    """Return the process's bus, chosen from settings on first use."""
    global _bus
    with _bus_lock:
        if _bus is None:
            url = settings.PLENARY_ROOM_BUS_URL
            _bus = RedisBus(url, bus_prefix()) if url else InProcessBus()
        return _bus


def bus_prefix() -> str:
    """``PLENARY_BUS_PREFIX``, or one derived from the database this process uses."""
    if settings.PLENARY_BUS_PREFIX:
        return str(settings.PLENARY_BUS_PREFIX)
    return f"plenary:{connections['default'].settings_dict['NAME']}:"
