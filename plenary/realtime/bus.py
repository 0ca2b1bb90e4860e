"""The room bus: carries each published frame to every process's hubs, once.

``InProcessBus`` (the embedded default) hands frames to the hubs of this process.
``RedisBus`` publishes on one Redis pub/sub channel per room; each hub holds one
subscription per active room, so a frame reaches each process once, whatever the
number of sockets. Pub/sub never drops a message for a slow reader the way a
channel layer's bounded group queue does; a hub that misses one notices the gap
in ``seq`` and reads it back from the event log.

``publish`` is synchronous and thread-safe: services call it from
``transaction.on_commit`` in whatever thread ran the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol

from django.conf import settings

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


def _channel(room: str) -> str:
    return f"plenary:room:{room}"


class _RedisSubscription:
    def __init__(self, url: str, deliver: Deliver) -> None:
        import redis.asyncio as aioredis

        self.deliver = deliver
        self.client = aioredis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.reader: asyncio.Task[None] | None = None

    async def add(self, room: str) -> None:
        await self.pubsub.subscribe(_channel(room))
        if self.reader is None:
            self.reader = asyncio.create_task(self._read(), name="plenary-room-bus")

    async def remove(self, room: str) -> None:
        await self.pubsub.unsubscribe(_channel(room))

    async def _read(self) -> None:
        prefix = len("plenary:room:")
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection broke: redis-py reconnects and resubscribes
                logger.exception("room bus read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or message["type"] != "message":
                continue
            seq, _, frame = message["data"].partition(b"\n")
            self.deliver(message["channel"][prefix:].decode(), int(seq), frame.decode())

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        await self.pubsub.aclose()
        await self.client.aclose()


class RedisBus:
    """One Redis pub/sub channel per room; one subscription per room per hub."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url)

    def subscription(self, deliver: Deliver) -> Subscription:
        return _RedisSubscription(self.url, deliver)

    def publish(self, room: str, seq: int, frame: str) -> None:
        self.client.publish(_channel(room), b"%d\n%s" % (seq, frame.encode()))


_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    """Return the process's bus, chosen from settings on first use."""
    global _bus
    with _bus_lock:
        if _bus is None:
            url = settings.PLENARY_ROOM_BUS_URL
            _bus = RedisBus(url) if url else InProcessBus()
        return _bus
