"""The per-process room hub: one subscription per active room, local fan-out.

A socket joins a room with an ``Outbox``, a bounded queue of encoded frames. When
an event arrives from the bus, the hub puts the same text into every outbox of the
room: nothing is encoded per socket. A socket whose outbox is full is told to go
(``Outbox.overflowed``), so memory never grows with a slow client; the client
reconnects and resumes from its last ``seq``.

The hub delivers a room's persisted events in ``seq`` order without gaps or
duplicates: transactions commit in ``seq`` order (``record_event`` locks the
room's sequence row), but publications can overtake one another across threads
and processes, so an event that arrives early waits while the missing ones are
read back from the event log. Events with ``seq`` 0 are ephemeral and pass
straight through.

One hub per event loop (``get_hub``): tests and servers each run their own loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from plenary.realtime.bus import Subscription, get_bus
from plenary.realtime.events import current_seq, events_between

logger = logging.getLogger(__name__)


class Outbox:
    """A socket's bounded queue of ``(seq, frame)`` waiting to be written."""

    def __init__(self, maxsize: int, on_overflow: Callable[[], None]) -> None:
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize)
        self.on_overflow = on_overflow
        self.overflowed = False

    def put(self, seq: int, frame: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            self.overflowed = True
            self.on_overflow()


@dataclass
class _Room:
    outboxes: set[Outbox] = field(default_factory=set)
    last_seq: int | None = None  # None until the baseline is read
    pending: dict[int, str] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    filling: bool = False


class RoomHub:
    def __init__(self) -> None:
        self.rooms: dict[str, _Room] = {}
        self._subscription: Subscription | None = None
        self._lock = asyncio.Lock()

    async def join(self, room: str, outbox: Outbox) -> None:
        """Add ``outbox`` to ``room``; on return every later event of the room reaches it."""
        async with self._lock:
            state = self.rooms.get(room)
            if state is None:
                state = self.rooms[room] = _Room()
                try:
                    await self._subscribe(room, state)
                except BaseException:
                    del self.rooms[room]
                    raise
            state.outboxes.add(outbox)
        await state.ready.wait()

    async def _subscribe(self, room: str, state: _Room) -> None:
        if self._subscription is None:
            self._subscription = get_bus().subscription(self.deliver)
        # Subscribe first, then read the baseline: nothing falls in between.
        await self._subscription.add(room)
        state.last_seq = await database_sync_to_async(current_seq)(room)
        self._flush(room, state)
        state.ready.set()

    async def leave(self, room: str, outbox: Outbox) -> None:
        async with self._lock:
            state = self.rooms.get(room)
            if state is None:
                return
            state.outboxes.discard(outbox)
            if not state.outboxes:
                del self.rooms[room]
                if self._subscription is not None:
                    await self._subscription.remove(room)

    def last_seq(self, room: str) -> int:
        """The last ``seq`` this hub delivered in ``room`` (a room this hub serves)."""
        state = self.rooms[room]
        assert state.last_seq is not None
        return state.last_seq

    def local_count(self, room: str) -> int:
        state = self.rooms.get(room)
        return len(state.outboxes) if state else 0

    def deliver(self, room: str, seq: int, frame: str) -> None:
        """Take one event from the bus (called on this hub's loop)."""
        state = self.rooms.get(room)
        if state is None:
            return
        if seq == 0:
            self._fan_out(state, seq, frame)
            return
        if state.last_seq is not None and seq <= state.last_seq:
            return  # already delivered
        state.pending[seq] = frame
        self._flush(room, state)

    def _flush(self, room: str, state: _Room) -> None:
        if state.last_seq is None:
            return
        for seq in [s for s in state.pending if s <= state.last_seq]:
            del state.pending[seq]
        while (frame := state.pending.pop(state.last_seq + 1, None)) is not None:
            state.last_seq += 1
            self._fan_out(state, state.last_seq, frame)
        if state.pending and not state.filling:
            state.filling = True
            asyncio.get_running_loop().create_task(self._fill_gap(room, state))

    async def _fill_gap(self, room: str, state: _Room) -> None:
        """Read events that were overtaken by later ones back from the log."""
        try:
            assert state.last_seq is not None
            upto = min(state.pending) - 1
            missing = await database_sync_to_async(events_between)(room, state.last_seq, upto)
            for seq, frame in missing:
                if seq > state.last_seq:
                    state.pending.setdefault(seq, frame)
            if state.last_seq + 1 not in state.pending and state.pending:
                # Committed in seq order, so a gap that the log cannot fill means the
                # events were lost before storage: skip ahead rather than stall the room.
                logger.warning("room %s: events %s..%s missing", room, state.last_seq + 1, upto)
                state.last_seq = min(state.pending) - 1
        finally:
            state.filling = False
        if self.rooms.get(room) is state:
            self._flush(room, state)

    @staticmethod
    def _fan_out(state: _Room, seq: int, frame: str) -> None:
        for outbox in tuple(state.outboxes):
            outbox.put(seq, frame)

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        self.rooms.clear()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomHub] = weakref.WeakKeyDictionary()


def get_hub() -> RoomHub:
    """Return the hub of the running event loop, creating it on first use."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = RoomHub()
    return hub
