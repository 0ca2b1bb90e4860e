"""The per-process room hub: one subscription per active room, local fan-out.

A socket joins a room with an ``Outbox``. Events that arrive from the bus are
fanned out as a ``Batch``: the frames' text, and their websocket wire bytes,
built once for every socket of the room. Nothing is encoded per socket.

An outbox writes a batch straight to its socket's transport when it was handed a
``Wire`` (``plenary.server.direct_wire``: Uvicorn's websocket connections), nothing
is queued ahead and the transport is not paused: no task wakes up per socket and
per event. Otherwise the frames wait in the outbox's bounded queue for the
socket's writer: while the socket opens, while its transport is paused (the
client reads slowly) and on servers without a wire (Daphne), whose writer sends
each frame with the ASGI ``send``. More than ``maxsize`` frames waiting and the
socket is told to go (``Outbox.overflowed``), so memory never grows with a slow
client; the client reconnects and resumes from its last ``seq``.

The hub delivers a room's persisted events in ``seq`` order without gaps or
duplicates: transactions commit in ``seq`` order (``record_event`` locks the
room's sequence row), but publications can overtake one another across threads
and processes, so an event that arrives early waits while the missing ones are
read back from the event log. Events with ``seq`` 0 are ephemeral and pass
straight through.

Each room has one pump that fans out one batch at a time, to the sockets in the
room when the batch starts, and yields to the event loop every
``FAN_OUT_CHUNK`` sockets: a room of thousands does not hold the loop (other
rooms, acknowledgements, incoming frames) for a whole fan-out. Events accepted
while a batch is under way make up the next batch, so a socket that is behind
gets them in one write. A socket joining mid-batch misses that batch's events,
which its opening reads back (their ``seq`` is at most ``last_seq``); an outbox
drops any event at or below the last ``seq`` it sent, so none arrives twice.

One hub per event loop (``get_hub``): tests and servers each run their own loop.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import sys
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from channels.db import database_sync_to_async

from plenary.realtime.bus import Subscription, get_bus
from plenary.realtime.events import current_seq, current_seqs, events_between

logger = logging.getLogger(__name__)

#: Sockets a room's pump writes to before it lets the event loop run other work.
#: At a few microseconds per socket, a chunk holds the loop for about a millisecond.
FAN_OUT_CHUNK = 256
#: ``Batch.min_seq`` of a batch without persisted events: above any ``seq``.
NO_SEQ = sys.maxsize


def text_frame(text: str) -> bytes:
    """Return ``text`` as one websocket text frame, as a server sends it.

    RFC 6455 section 5.2: FIN and the text opcode, the payload length (7 bits, or
    126 and 16 bits, or 127 and 64 bits), no mask (only clients mask) and no
    extension bit (per-message deflate leaves uncompressed messages as they are).
    """
    payload = text.encode()
    length = len(payload)
    if length < 126:
        return bytes((0x81, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", 0x81, 126, length) + payload
    return struct.pack("!BBQ", 0x81, 127, length) + payload


class Batch:
    """Frames fanned out together, in order: ``(seq, text)`` and their wire bytes."""

    __slots__ = ("frames", "max_seq", "min_seq", "wire")

    def __init__(self, frames: Sequence[tuple[int, str]]) -> None:
        self.frames = tuple(frames)
        seqs = [seq for seq, _ in self.frames if seq]
        #: The smallest and largest ``seq`` of the persisted events (NO_SEQ and 0 if none).
        self.min_seq = min(seqs, default=NO_SEQ)
        self.max_seq = max(seqs, default=0)
        self.wire = b"".join(text_frame(text) for _, text in self.frames)


class Wire(Protocol):
    """A socket's transport, written to directly with ready-made websocket frames."""

    def try_write(self, data: bytes) -> bool:
        """Write ``data`` now; return False, writing nothing, if the transport is
        paused. A closing socket takes and drops it (its client resumes by ``seq``)."""
        ...

    async def drained(self) -> None:
        """Return once the transport takes writes again, or is gone."""
        ...


class Outbox:
    """Where a socket's frames go, in order: to its wire, or to a bounded queue.

    Until ``start`` (the socket's opening frames are being sent) every frame is
    queued. After it, a frame is written at once when there is a wire, nothing is
    queued ahead of it and the wire is not paused; otherwise it is queued, and the
    socket's writer (``run``) sends the queue: joined in one write on the wire once
    it drains, or frame by frame with the ASGI send. Frames whose ``seq`` is at or
    below the last one sent are dropped (they went out with the opening).
    """

    def __init__(self, maxsize: int, on_overflow: Callable[[], None]) -> None:
        self.maxsize = maxsize
        self.on_overflow = on_overflow
        self.overflowed = False
        self.frames: deque[tuple[int, str]] = deque()
        self.last_sent = 0
        self.wire: Wire | None = None
        self._waiter: asyncio.Future[None] | None = None

    def deliver(self, batch: Batch) -> None:
        """Take a batch from the hub (or a reply): write it now if possible, else queue it."""
        if self.overflowed:
            return
        wire = self.wire
        if (
            wire is not None
            and not self.frames
            and batch.min_seq > self.last_sent
            and wire.try_write(batch.wire)
        ):
            if batch.max_seq > self.last_sent:
                self.last_sent = batch.max_seq
            return
        self._queue(batch.frames)

    def put(self, seq: int, frame: str) -> None:
        """Take one frame (a reply to this socket only has ``seq`` 0)."""
        self.deliver(Batch(((seq, frame),)))

    def _queue(self, frames: Sequence[tuple[int, str]]) -> None:
        if len(self.frames) + len(frames) > self.maxsize:
            self.overflowed = True
            self.frames.clear()
            self.wire = None
            self.on_overflow()
            return
        self.frames.extend(frames)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> None:
        """Return once frames are queued."""
        while not self.frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _unsent(self) -> list[tuple[int, str]]:
        """The queued frames not sent yet (the opening may have sent some)."""
        return [(seq, text) for seq, text in self.frames if not seq or seq > self.last_sent]

    def start(self, last_sent: int, wire: Wire | None) -> None:
        """The opening went out up to ``last_sent``: from now on, frames flow to the
        socket (through ``wire`` when there is one, else through ``run``'s send)."""
        self.last_sent = max(self.last_sent, last_sent)
        if not self.overflowed:
            self.wire = wire

    async def run(self, send_text: Callable[[str], Awaitable[None]]) -> None:
        """Send what gets queued, for as long as the socket lives (its writer task).

        With a wire, the queue goes out in one write once the transport drains;
        nothing runs between taking the frames and writing them, so a direct write
        cannot overtake them. Without one, each frame is awaited through
        ``send_text`` and stays counted in the queue until its turn.
        """
        while True:
            await self.wait()
            wire = self.wire
            if wire is not None:
                await wire.drained()
                if self.wire is not wire:
                    continue  # the outbox overflowed meanwhile
                frames = self._unsent()
                if wire.try_write(b"".join(text_frame(text) for _, text in frames)):
                    self.frames.clear()
                    self.last_sent = max([self.last_sent, *(seq for seq, _ in frames)])
                continue  # else paused again (a ping filled it): wait for the next drain
            seq, text = self.frames.popleft()
            if seq:
                if seq <= self.last_sent:
                    continue
                self.last_sent = seq
            await send_text(text)


@dataclass
class _Room:
    outboxes: set[Outbox] = field(default_factory=set)
    last_seq: int | None = None  # None until the baseline is read
    pending: dict[int, str] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    filling: bool = False
    #: Accepted frames, in order, waiting for the pump's next batch.
    outgoing: list[tuple[int, str]] = field(default_factory=list)
    #: The batch being fanned out, the sockets it goes to, and how far it has gone.
    batch: Batch | None = None
    targets: tuple[Outbox, ...] = ()
    cursor: int = 0
    pumping: bool = False


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
        """Add ``outbox`` to ``room``. Every event accepted after this returns (its
        ``seq`` above ``last_seq(room)``) reaches it; earlier ones may not, so the
        caller reads those back from the log."""
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
            after = state.last_seq
            assert after is not None
            if upto > after:
                missing = await database_sync_to_async(events_between)(room, after, upto)
                for seq, frame in missing:
                    if seq > state.last_seq:
                        state.pending.setdefault(seq, frame)
                # Committed in seq order, so an event that the log lacks below one that
                # was published was lost before storage: skip it rather than stall the
                # room. Only what this read covered, and only if nothing arrived during
                # the read: late events may have moved the room on, and a gap past
                # ``upto`` has not been read yet (the flush below starts its fill).
                if state.last_seq == after and after + 1 not in state.pending:
                    skip_to = min([*state.pending, upto + 1]) - 1
                    logger.warning("room %s: events %s..%s missing", room, after + 1, skip_to)
                    state.last_seq = skip_to
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

    def _fan_out(self, state: _Room, seq: int, frame: str) -> None:
        state.outgoing.append((seq, frame))
        if not state.pumping:
            # The first chunk goes out now, as the event arrives: in a room that fits
            # in one chunk, a socket gets the event before any reply that its own
            # request (its consumer resuming later in this loop iteration) queues.
            state.pumping = True
            self._pump(state)

    def _pump(self, state: _Room) -> None:
        """Write the room's batch to its next chunk of sockets, then let the loop run."""
        if state.batch is None:
            if not state.outgoing:
                state.pumping = False
                return
            state.batch = Batch(state.outgoing)
            state.outgoing = []
            state.targets = tuple(state.outboxes)
            state.cursor = 0
        batch, start = state.batch, state.cursor
        end = start + FAN_OUT_CHUNK
        for outbox in state.targets[start:end]:
            try:
                outbox.deliver(batch)
            except Exception:  # one broken socket must not stop the room
                logger.exception("hub: could not deliver to a socket")
        if end < len(state.targets):
            state.cursor = end
        else:
            state.batch, state.targets = None, ()
            if not state.outgoing:
                state.pumping = False  # idle: the next event goes out as it arrives
                return
        asyncio.get_running_loop().call_soon(self._pump, state)

    async def close(self) -> None:
        for state in self.rooms.values():
            state.outgoing.clear()
            state.batch, state.targets = None, ()
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
