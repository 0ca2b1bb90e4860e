"""Live minutes rooms: one authoritative document per active minutes per process.

A ``MinutesRoom`` holds the document (a pycrdt ``Doc``) that the sockets of this
process edit, the awareness states (cursors, names) of its writers, and its relay
channel to the other processes. ``RoomRegistry.join`` starts a room under a lock per
document, so a crowd arriving on a cold document loads it once and every socket
gets the same room (none waits forever on another's start).

The path of one edit from a note-taker::

    frame -> decode_message -> submit -> (batch) apply to the room's doc: rejected?
          -> close that socket with 4400, nobody else sees it
          -> append_updates (one transaction per batch, row-locked)   ... committed
          -> every other local socket, then the relay to other processes

Invariants:

- Nothing reaches any client before it is stored: an update is relayed only after
  its transaction commits, and the document state sent to a (re)connecting client
  (sync step 2) is encoded under the room's lock, which the writer holds from
  applying a batch until it is committed. So a server killed at any moment has
  stored every update any client received.
- Updates are validated by applying them to the room's document; a malformed one
  closes its sender's socket and changes nothing.
- Readers (``Peer.can_edit`` false) never change the document: a sync step 2 or
  update carrying anything the room lacks closes their socket with 4403 and is
  neither stored nor relayed; their awareness is not passed on.
- If storing fails, the room's document may hold what was not stored: the room
  closes every socket (1011) and is discarded; clients reconnect to a fresh room
  loaded from the database and resend what it lacks (sync step 2).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import pycrdt
from channels.db import database_sync_to_async
from django.conf import settings

from minutes import protocol
from minutes.exceptions import MinutesLocked
from minutes.protocol import AwarenessEntry, MinutesCloseCode, ProtocolError
from minutes.services import store
from minutes.services.document import UpdateRejected, apply_update, new_doc
from minutes.services.relay import Relay, RelayChannel, RelayMessage, get_relay

logger = logging.getLogger(__name__)

#: Largest document accepted (snapshot plus log, in bytes of updates).
MAX_DOCUMENT_BYTES = 16 * 2**20
#: Awareness messages a socket may send: a burst, then this many per second.
AWARENESS_BURST = 200
AWARENESS_RATE = 60.0
#: Awareness client ids one socket may speak for (a browser has one).
MAX_CLIENT_IDS = 4
#: A remote writer's cursor not renewed for this long is not shown to newcomers
#: (clients renew theirs every 15 s; y-protocols drops them after 30 s).
AWARENESS_TIMEOUT = 30.0
#: Seconds between two compaction attempts of one room (only old updates are folded).
COMPACT_RETRY_SECONDS = 30.0
#: Seconds between two checks of the database for updates the relay missed.
GAP_CHECK_SECONDS = 5.0


def _store(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a store function in a worker thread with its own connection.

    Not the process's one thread-sensitive database thread: a room's writes must not
    queue behind the session pages' queries, nor those behind a room's compaction.
    A room has one write in flight at a time (its flusher), so this adds no
    concurrency within a document.
    """
    return database_sync_to_async(function, thread_sensitive=False)


def idle_seconds() -> float:
    """How long a room with no socket stays loaded before it is closed."""
    return float(getattr(settings, "PLENARY_MINUTES_IDLE_SECONDS", 30.0))


class Peer:
    """One socket's side of a room: what it may do, and how to reach it.

    ``send`` queues a frame without waiting; ``close`` asks the socket to close with
    a code (it then leaves the room through ``MinutesRoom.leave``).
    """

    def __init__(
        self,
        *,
        can_edit: bool,
        user_id: int | None,
        send: Callable[[bytes], None],
        close: Callable[[int], None],
    ) -> None:
        self.can_edit = can_edit
        self.user_id = user_id
        self._send = send
        self._close = close
        self.closed = False
        self.client_ids: set[int] = set()
        self.tokens = float(AWARENESS_BURST)
        self.refilled = time.monotonic()

    def send(self, frame: bytes) -> None:
        if not self.closed:
            self._send(frame)

    def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            self._close(code)

    def take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(AWARENESS_BURST, self.tokens + (now - self.refilled) * AWARENESS_RATE)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Presence:
    clock: int
    state: str  # JSON text, "null" once removed
    owner: Peer | None  # None: a writer on another process
    at: float


class MinutesRoom:
    """The authoritative document of one minutes in this process, and its sockets."""

    def __init__(self, minutes_id: int, relay: Relay, registry: RoomRegistry) -> None:
        self.minutes_id = minutes_id
        self.relay = relay
        self.registry = registry
        self.origin = uuid.uuid4().hex
        self.doc = new_doc()
        self.lock = asyncio.Lock()
        self.peers: set[Peer] = set()
        self.presence: dict[int, _Presence] = {}
        self.pending: list[tuple[Peer, bytes]] = []
        self.channel: RelayChannel | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.flusher: asyncio.Task[None] | None = None
        self.closed = False
        self.size = 0
        self.since_snapshot = 0
        self.compacting = False
        self.next_compaction = 0.0
        self.seen: set[int] = set()  # stored update ids applied above ``watermark``
        self.watermark = 0
        self.idle: asyncio.TimerHandle | None = None

    # -- life --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the relay channel, then load the document, then read the relay."""
        self.channel = await self.relay.open(self.minutes_id, self._on_relay)
        try:
            stored = await _store(store.load_document)(self.minutes_id)
            for blob in stored.blobs():
                apply_update(self.doc, blob)
            self.size = stored.size
            self.since_snapshot = len(stored.updates)
            self.watermark = stored.last_id
            await self.channel.start()
        except BaseException:
            await self.channel.close()
            raise
        if self.relay.cross_process:
            self._spawn(self._check_gaps_periodically())

    async def close(self) -> None:
        """Let pending edits be stored, then stop (sockets must have left or be closed)."""
        self.closed = True
        if self.idle is not None:
            self.idle.cancel()
        if self.flusher is not None:
            await asyncio.gather(self.flusher, return_exceptions=True)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.channel is not None:
            await self.channel.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def _discard(self, code: int) -> None:
        """Close every socket with ``code`` and drop this room from the registry."""
        self.closed = True
        for peer in list(self.peers):
            peer.close(code)
        self.peers.clear()
        self.registry.forget(self)
        task = asyncio.get_running_loop().create_task(self.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    # -- sockets -----------------------------------------------------------------------

    def add(self, peer: Peer) -> None:
        """Join ``peer`` and greet it: our state vector, then who is writing."""
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        self.peers.add(peer)
        # Taken without the lock: it may count an update being stored. Harmless: if
        # storing fails, the room is discarded and the client syncs again with a
        # fresh one, whose state vector lacks it, so the client resends it.
        peer.send(protocol.encode_sync_step1(self.doc.get_state()))
        if writers := self._current_presence():
            peer.send(protocol.encode_awareness(writers))

    def leave(self, peer: Peer) -> None:
        peer.closed = True
        self.peers.discard(peer)
        if self.closed:
            return
        gone = []
        for client in peer.client_ids:
            if (presence := self.presence.get(client)) is not None and presence.owner is peer:
                gone.append(AwarenessEntry(client, presence.clock + 1, "null"))
        if gone:
            self._take_presence(gone, owner=None)
            self._broadcast(protocol.encode_awareness(gone), None)
            self._publish([self._message("awareness", protocol.encode_awareness_update(gone))])
        if not self.peers and not self.closed:
            loop = asyncio.get_running_loop()
            self.idle = loop.call_later(idle_seconds(), self.registry.retire_soon, self)

    async def receive(self, peer: Peer, data: bytes) -> None:
        """Handle one frame from ``peer``."""
        if peer.closed or self.closed:
            return
        try:
            message = protocol.decode_message(data)
        except ProtocolError:
            peer.close(MinutesCloseCode.BAD_FRAME)
            return
        match message:
            case protocol.SyncStep1(state_vector=state_vector):
                async with self.lock:  # only what is stored is ever served
                    try:
                        update = self.doc.get_update(state_vector)
                    except ValueError:
                        peer.close(MinutesCloseCode.BAD_FRAME)
                        return
                peer.send(protocol.encode_sync_step2(update))
            case protocol.SyncStep2(update=update) | protocol.SyncUpdate(update=update):
                self.submit(peer, update)
            case protocol.Awareness():
                self._awareness_from(peer, message)
            case protocol.QueryAwareness():
                peer.send(protocol.encode_awareness(self._current_presence()))
            case protocol.Auth():
                pass  # only servers send these

    # -- edits -------------------------------------------------------------------------

    def submit(self, peer: Peer, update: bytes) -> None:
        """Queue a writer's update for validation and storage; refuse a reader's."""
        if update == protocol.EMPTY_UPDATE:
            return
        if not peer.can_edit:
            self._check_reader_update(peer, update)
            return
        if self.size + len(update) > MAX_DOCUMENT_BYTES:
            peer.close(MinutesCloseCode.TOO_LARGE)
            return
        self.pending.append((peer, update))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())

    def _check_reader_update(self, peer: Peer, update: bytes) -> None:
        """A reader's sync step 2 answers ours: fine while it holds nothing new.

        Its delete set is not compared: a reader's deletions are never applied.
        """
        try:
            theirs = protocol.decode_state_vector(pycrdt.get_state(update))
        except (ValueError, RuntimeError, ProtocolError):
            peer.close(MinutesCloseCode.BAD_FRAME)
            return
        ours = protocol.decode_state_vector(self.doc.get_state())
        if protocol.has_more(theirs, ours):
            peer.close(MinutesCloseCode.READ_ONLY)

    async def _flush(self) -> None:
        """Apply, store, then relay the queued updates, a batch at a time."""
        while self.pending and not self.closed:
            async with self.lock:
                batch, self.pending = self.pending, []
                accepted: list[tuple[Peer, bytes]] = []
                for peer, update in batch:
                    try:
                        apply_update(self.doc, update)
                    except UpdateRejected as exc:
                        logger.info("minutes %s: update rejected: %s", self.minutes_id, exc)
                        peer.close(MinutesCloseCode.BAD_FRAME)
                        continue
                    accepted.append((peer, update))
                if not accepted:
                    continue
                rows = [(update, peer.user_id) for peer, update in accepted]
                try:
                    ids = await _store(store.append_updates)(self.minutes_id, rows)
                except MinutesLocked:
                    self._discard(MinutesCloseCode.STATUS_CHANGED)
                    return
                except Exception:
                    logger.exception("minutes %s: could not store updates", self.minutes_id)
                    self._discard(MinutesCloseCode.SERVER_ERROR)
                    return
            # Committed: now, and only now, the updates may reach anyone.
            messages = []
            for (peer, update), update_id in zip(accepted, ids, strict=True):
                self.size += len(update)
                if self.relay.cross_process:
                    self.seen.add(update_id)
                self._broadcast(protocol.encode_update(update), peer)
                messages.append(self._message("update", update, update_id))
            self._publish(messages)
            self.since_snapshot += len(accepted)
            if (
                self.since_snapshot >= store.compact_every()
                and not self.compacting
                and time.monotonic() >= self.next_compaction
            ):
                self._spawn(self._compact())

    async def _compact(self) -> None:
        self.compacting = True
        self.next_compaction = time.monotonic() + COMPACT_RETRY_SECONDS
        try:
            if await _store(store.compact_minutes)(self.minutes_id):
                self.since_snapshot = 0
        except Exception:
            logger.exception("minutes %s: compaction failed", self.minutes_id)
        finally:
            self.compacting = False

    # -- awareness ---------------------------------------------------------------------

    def _awareness_from(self, peer: Peer, message: protocol.Awareness) -> None:
        if not peer.take_token():
            peer.close(MinutesCloseCode.FLOOD)
            return
        if not peer.can_edit:
            return  # a reader's presence is not shown to everyone
        claimed = peer.client_ids | {e.client for e in message.entries if e.state != "null"}
        if len(claimed) > MAX_CLIENT_IDS:
            peer.close(MinutesCloseCode.FLOOD)
            return
        fresh = self._take_presence(message.entries, owner=peer)
        if fresh:
            self._broadcast(protocol.encode_awareness(fresh), peer)
            self._publish([self._message("awareness", protocol.encode_awareness_update(fresh))])

    def _take_presence(
        self, entries: Sequence[AwarenessEntry], owner: Peer | None
    ) -> list[AwarenessEntry]:
        """Record the entries newer than what we have (y-protocols' rule); return them."""
        fresh = []
        now = time.monotonic()
        for entry in entries:
            current = self.presence.get(entry.client)
            if current is not None:
                if current.owner is not None and current.owner is not owner and owner is not None:
                    continue  # another socket's client id
                newer = entry.clock > current.clock
                removal = entry.clock == current.clock and entry.state == "null"
                if not (newer or removal):
                    continue
            self.presence[entry.client] = _Presence(entry.clock, entry.state, owner, now)
            if owner is not None:
                if entry.state == "null":
                    owner.client_ids.discard(entry.client)
                else:
                    owner.client_ids.add(entry.client)
            fresh.append(entry)
        return fresh

    def _current_presence(self) -> list[AwarenessEntry]:
        cutoff = time.monotonic() - AWARENESS_TIMEOUT
        return [
            AwarenessEntry(client, p.clock, p.state)
            for client, p in self.presence.items()
            if p.state != "null" and (p.owner is not None or p.at >= cutoff)
        ]

    # -- fan-out and relay ---------------------------------------------------------------

    def _broadcast(self, frame: bytes, sender: Peer | None) -> None:
        for peer in self.peers:
            if peer is not sender:
                peer.send(frame)

    def _message(self, kind: str, payload: bytes, update_id: int = 0) -> RelayMessage:
        return RelayMessage(kind, self.origin, update_id, payload)  # type: ignore[arg-type]

    def _publish(self, messages: list[RelayMessage]) -> None:
        if self.channel is None or not messages:
            return
        channel = self.channel

        async def publish() -> None:
            try:
                for message in messages:
                    await channel.publish(message)
            except Exception:  # other processes fill the gap from the database
                logger.exception("minutes %s: relay publish failed", self.minutes_id)

        self._spawn(publish())

    def _on_relay(self, message: RelayMessage) -> None:
        if message.origin == self.origin or self.closed:
            return
        if message.kind == "update":
            if message.update_id in self.seen or message.update_id <= self.watermark:
                return
            self.seen.add(message.update_id)
            self._apply_stored(message.payload)
        elif message.kind == "awareness":
            try:
                entries = protocol.decode_awareness(message.payload).entries
            except ProtocolError:
                return
            if fresh := self._take_presence(entries, owner=None):
                self._broadcast(protocol.encode_awareness(fresh), None)
        elif message.kind == "reset":
            self._discard(MinutesCloseCode.STATUS_CHANGED)

    def _apply_stored(self, update: bytes) -> None:
        """Apply an update another process stored, and pass it to our sockets."""
        try:
            apply_update(self.doc, update)
        except UpdateRejected:
            logger.exception("minutes %s: a stored update failed to apply", self.minutes_id)
            return
        self.size += len(update)
        self._broadcast(protocol.encode_update(update), None)

    async def _check_gaps_periodically(self) -> None:
        while True:
            await asyncio.sleep(GAP_CHECK_SECONDS)
            try:
                await self.check_gaps()
            except Exception:
                logger.exception("minutes %s: gap check failed", self.minutes_id)

    async def check_gaps(self) -> int:
        """Apply stored updates the relay did not bring (a lost publication).

        Ids of one document increase in commit order (``append_updates`` locks its
        row), so everything at or below the highest id read is settled.
        """
        stored = await _store(store.updates_after)(self.minutes_id, self.watermark)
        missed = 0
        if stored.snapshot is not None:  # compacted past us: its state covers the gap
            self._apply_stored(stored.snapshot)
            missed += 1
        for update_id, data in stored.updates:
            if update_id not in self.seen:
                self._apply_stored(data)
                missed += 1
        self.watermark = max(self.watermark, stored.last_id)
        self.seen = {i for i in self.seen if i > self.watermark}
        return missed


class RoomRegistry:
    """The rooms of one event loop (a server process has one)."""

    def __init__(self) -> None:
        self.rooms: dict[int, MinutesRoom] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    async def join(self, minutes_id: int, peer: Peer) -> MinutesRoom:
        """Add ``peer`` to the room of ``minutes_id``, starting it if needed."""
        lock = self.locks.setdefault(minutes_id, asyncio.Lock())
        async with lock:
            room = self.rooms.get(minutes_id)
            if room is None or room.closed:
                room = MinutesRoom(minutes_id, get_relay(), self)
                await room.start()
                self.rooms[minutes_id] = room
            room.add(peer)
        return room

    def forget(self, room: MinutesRoom) -> None:
        if self.rooms.get(room.minutes_id) is room:
            del self.rooms[room.minutes_id]

    def retire_soon(self, room: MinutesRoom) -> None:
        task = asyncio.get_running_loop().create_task(self.retire(room))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    async def retire(self, room: MinutesRoom) -> None:
        """Close a room that has stayed empty (unless someone joined meanwhile)."""
        async with self.locks.setdefault(room.minutes_id, asyncio.Lock()):
            if room.peers or room.closed:
                return
            self.forget(room)
            await room.close()

    async def close(self) -> None:
        for room in list(self.rooms.values()):
            self.forget(room)
            for peer in list(room.peers):
                peer.close(MinutesCloseCode.SERVER_ERROR)
            await room.close()


#: Rooms being closed (a reference, so their task is not collected).
_closing: set[asyncio.Task[None]] = set()

_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomRegistry] = (
    weakref.WeakKeyDictionary()
)


def get_registry() -> RoomRegistry:
    """The rooms of the running event loop."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = RoomRegistry()
    return registry


def reset_minutes(minutes_id: int) -> None:
    """Tell every process to close the minutes' sockets (their rights changed).

    Called after the status change commits (from any thread); the sockets reconnect
    and are given their new rights.
    """
    get_relay().publish_sync(minutes_id, RelayMessage("reset", "workflow"))
