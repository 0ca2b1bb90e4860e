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
from plenary.realtime.events import current_seq, current_seqs, events_between

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


#: How often a hub compares its rooms with the log, to recover a lost publication
#: in a room where nothing else happens.
GAP_CHECK_SECONDS = 5.0


class RoomHub:
    def __init__(self) -> None:
        self.rooms: dict[str, _Room] = {}
        self._subscription: Subscription | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._watcher: asyncio.Task[None] | None = None

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
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="plenary-hub-watch")
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
            self._start_fill(room, state, min(state.pending) - 1)

    def _start_fill(self, room: str, state: _Room, upto: int) -> None:
        state.filling = True
        task = asyncio.get_running_loop().create_task(self._fill_gap(room, state, upto))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill_gap(self, room: str, state: _Room, upto: int) -> None:
        """Read events up to ``upto`` that were overtaken, or lost, from the log."""
        try:
            assert state.last_seq is not None
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

    async def _watch(self) -> None:
        """Every few seconds, fill rooms whose log is ahead of what was delivered."""
        while True:
            await asyncio.sleep(GAP_CHECK_SECONDS)
            rooms = {
                room: state for room, state in self.rooms.items() if state.last_seq is not None
            }
            if not rooms:
                continue
            try:
                logged = await database_sync_to_async(current_seqs)(list(rooms))
            except Exception:  # the database is away: try again at the next check
                logger.exception("hub: could not read room sequences")
                continue
            for room, state in rooms.items():
                ahead = logged.get(room, 0)
                if state.last_seq is not None and ahead > state.last_seq and not state.filling:
                    logger.warning("room %s: recovering events up to %s", room, ahead)
                    self._start_fill(room, state, ahead)

    @staticmethod
    def _fan_out(state: _Room, seq: int, frame: str) -> None:
        for outbox in tuple(state.outboxes):
            outbox.put(seq, frame)

    async def close(self) -> None:
        for task in [self._watcher, *self._tasks]:
            if task is not None:
                task.cancel()
        self._watcher = None
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
