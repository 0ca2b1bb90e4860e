"""Tell open pages when a session's room opens or closes (``room.status``).

The window itself is ``assemblies.room_window``. It changes two ways:

- **By a change**: the session starts or ends, a broadcast goes live or its hours
  are set. The service making the change calls ``announce_room(session, before)``
  in its transaction with the window as it was; a ``room.status`` event is
  recorded when ``open`` or ``opens_at`` moved.
- **By the clock**: the pre-opening comes, the grace period after the end runs
  out. Nothing happens on the server then, so each process keeps, per event loop,
  a timer for each session it has sockets on (``follow`` / ``unfollow``, from the
  session consumer) and runs ``update_room`` when it fires. Several processes fire
  together: under the session's row lock the first records the event, the others
  find it done. A process re-reads the window every ``RECHECK_SECONDS`` to learn
  of changes made on another process (a session ended there).

Posting is checked against the window itself, never against these events: a
page that missed one is refused with a clear error, never let through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from datetime import datetime, timedelta

import msgspec
from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from assemblies.models import Session
from assemblies.protocol import RoomStatus
from assemblies.room_window import RoomWindow, room_window, sessions
from plenary.realtime.events import record_event
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room

logger = logging.getLogger(__name__)

ROOM_STATUS = str(RoomStatus.__struct_config__.tag)

#: How often a process re-reads the window of a session it has sockets on.
RECHECK_SECONDS = 20.0


def room_status(window: RoomWindow) -> RoomStatus:
    return RoomStatus(open=window.open, opens_at=window.opens_at, closes_at=window.closes_at)


def _record(session: Session, window: RoomWindow) -> None:
    record_event(session_room(session.pk), room_status(window))
    session_id = session.pk
    transaction.on_commit(lambda: recheck_everywhere(session_id), robust=True)


def announce_room(session: Session, before: RoomWindow) -> None:
    """After a change to ``session`` (or its hours), in the same transaction: tell
    the room if it opened, closed or got a new opening time."""
    after = room_window(session)
    if (after.open, after.opens_at) != (before.open, before.opens_at):
        _record(session, after)
    elif after.changes_at != before.changes_at:  # a timer to set, no news yet
        session_id = session.pk
        transaction.on_commit(lambda: recheck_everywhere(session_id), robust=True)


def _last_told(session: Session) -> bool | None:
    """Whether the last ``room.status`` event said open (None: there was none)."""
    text = (
        RoomEvent.objects.filter(room=session_room(session.pk), type=ROOM_STATUS)
        .order_by("-seq")
        .values_list("frame", flat=True)
        .first()
    )
    if text is None:
        return None
    return msgspec.json.decode(text, type=RoomStatus).open


@transaction.atomic
def update_room(session_id: int, *, due: datetime) -> datetime | None:
    """The clock reached ``due``, when the room was to open or close: tell the room
    unless someone did. Return when it changes next (None: not by itself)."""
    session = sessions().select_for_update(of=("self",)).filter(pk=session_id).first()
    if session is None:
        return None
    window = room_window(session)
    told = _last_told(session)
    if told is None:  # nobody said anything since the snapshots: they had the state before
        told = room_window(session, now=due - timedelta(microseconds=1)).open
    if told != window.open:
        record_event(session_room(session.pk), room_status(window))
    return window.changes_at


def next_change(session_id: int) -> datetime | None:
    session = sessions().filter(pk=session_id).first()
    return None if session is None else room_window(session).changes_at


# -- the clock, per event loop -----------------------------------------------------------


class _Clock:
    """The sessions this event loop has sockets on, and a timer for each."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sockets: dict[int, int] = {}
        # Timer handles rather than sleeping tasks: a loop that closes with one
        # pending (a test's) drops it quietly.
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def follow(self, session_id: int, changes_at: datetime | None) -> None:
        self.sockets[session_id] = self.sockets.get(session_id, 0) + 1
        if self.sockets[session_id] == 1:
            self._plan(session_id, changes_at)

    def unfollow(self, session_id: int) -> None:
        left = self.sockets.get(session_id, 0) - 1
        if left > 0:
            self.sockets[session_id] = left
            return
        self.sockets.pop(session_id, None)
        timer = self.timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()

    def recheck(self, session_id: int) -> None:
        """Read the session's window now (its timer may have to move)."""
        if session_id in self.sockets:
            self._set(session_id, 0.0, due=None)

    def _set(self, session_id: int, delay: float, *, due: datetime | None) -> None:
        timer = self.timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()
        self.timers[session_id] = self.loop.call_later(delay, self._spawn, session_id, due)

    def _spawn(self, session_id: int, due: datetime | None) -> None:
        self.timers.pop(session_id, None)
        task = self.loop.create_task(self._tick(session_id, due))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _tick(self, session_id: int, due: datetime | None) -> None:
        if session_id not in self.sockets:
            return
        try:
            if due is None:
                changes_at = await database_sync_to_async(next_change)(session_id)
            else:
                changes_at = await database_sync_to_async(update_room)(session_id, due=due)
        except Exception:  # the database away: try again at the next recheck
            logger.exception("could not read the room window of session %s", session_id)
            changes_at = None
        if session_id not in self.sockets or session_id in self.timers:
            return  # gone, or a recheck was asked meanwhile
        self._plan(session_id, changes_at)

    def _plan(self, session_id: int, changes_at: datetime | None) -> None:
        """Fire at ``changes_at`` if it comes before the next recheck, else recheck."""
        if changes_at is not None:
            until = (changes_at - timezone.now()).total_seconds()
            if until <= RECHECK_SECONDS:
                # A little after: the loop's clock may run ahead of the wall clock.
                self._set(session_id, max(0.0, until) + 0.05, due=changes_at)
                return
        self._set(session_id, RECHECK_SECONDS, due=None)


_clocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Clock] = weakref.WeakKeyDictionary()


def _clock() -> _Clock:
    loop = asyncio.get_running_loop()
    clock = _clocks.get(loop)
    if clock is None:
        clock = _clocks[loop] = _Clock(loop)
    return clock


def follow(session_id: int, changes_at: datetime | None) -> None:
    """A socket of this event loop is on the session's page: keep its room's time.

    ``changes_at`` is the window's, as the socket read it on connect (saves the
    database thread a trip while a crowd arrives)."""
    _clock().follow(session_id, changes_at)


def unfollow(session_id: int) -> None:
    _clock().unfollow(session_id)


def recheck_everywhere(session_id: int) -> None:
    """The session's window changed in this process: every loop re-reads it now.

    Safe from any thread (services run in the database thread)."""
    for loop, clock in list(_clocks.items()):
        if loop.is_closed():
            continue
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            loop.call_soon_threadsafe(clock.recheck, session_id)
