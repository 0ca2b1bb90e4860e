"""Who is on a session page now, and the attendance log of logged-in people.

Two records, both right across server processes:

- **Sockets.** Every open session socket, anonymous or not, is one member of the
  session's set: a Redis sorted set shared by every process when ``REDIS_URL`` is
  set, else a set in this process (the embedded default has one process). Each
  member is scored with the time it expires; a process refreshes its own members
  every ``REFRESH_SECONDS``, so the sockets of a process that died drop out
  within ``EXPIRY_SECONDS``. A reconnect storm is many removals and additions of
  distinct members: the count stays exact.
- **Attendance.** One ``Attendance`` row per logged-in person and session, updated
  under a row lock on every arrival and departure (``open_sockets`` counts their
  pages), so time present adds up once however many tabs and processes they use.
  ``seen_at`` follows the refreshes: a row whose pages vanished with a dead
  process is closed at its last ``seen_at``.

Example, from a consumer::

    ticket = await arrive(session_id, user)    # on connect
    await depart(ticket)                       # on disconnect

Listeners (``add_listener``) hear, at most once a ``DEBOUNCE_SECONDS`` per
session and process, that a session's count may have changed; the streaming app
announces the rounded count to the room. ``assemblies`` imports no other app.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assemblies.access import AnyUser
from assemblies.exceptions import InvalidState
from assemblies.models import Attendance, Session

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 20.0
EXPIRY_SECONDS = 60.0
DEBOUNCE_SECONDS = 1.0

Listener = Callable[[int], Awaitable[None]]
_listeners: list[Listener] = []
_process = uuid.uuid4().hex[:12]
_numbers = itertools.count(1)


def add_listener(listener: Listener) -> None:
    """Call ``listener(session_id)`` when a session's presence may have changed."""
    if listener not in _listeners:
        _listeners.append(listener)


@dataclass(frozen=True)
class Ticket:
    """One socket's presence, handed back to ``depart``."""

    session_id: int
    member: str
    user_id: int | None


# -- the sets of sockets ----------------------------------------------------------------


class _LocalSockets:
    """This process's sockets per session (the embedded default)."""

    def __init__(self) -> None:
        self._members: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, session_id: int, members: Sequence[str]) -> None:
        expires = time.time() + EXPIRY_SECONDS
        with self._lock:
            found = self._members.setdefault(session_id, {})
            for member in members:
                found[member] = expires

    def remove(self, session_id: int, member: str) -> None:
        with self._lock:
            found = self._members.get(session_id, {})
            found.pop(member, None)
            if not found:
                self._members.pop(session_id, None)

    def members(self, session_id: int) -> list[str]:
        now = time.time()
        with self._lock:
            found = self._members.get(session_id, {})
            return [m for m, expires in found.items() if expires > now]


class _RedisSockets:
    """A sorted set per session in Redis, shared by every process."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def key(self, session_id: int) -> str:
        return f"{self.prefix}presence:{session_id}"

    def add(self, session_id: int, members: Sequence[str]) -> None:
        if not members:
            return
        expires = time.time() + EXPIRY_SECONDS
        key = self.key(session_id)
        with self.client.pipeline() as pipe:
            pipe.zadd(key, dict.fromkeys(members, expires))
            pipe.expire(key, int(EXPIRY_SECONDS * 2))
            pipe.execute()

    def remove(self, session_id: int, member: str) -> None:
        self.client.zrem(self.key(session_id), member)

    def members(self, session_id: int) -> list[str]:
        key = self.key(session_id)
        with self.client.pipeline() as pipe:
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.zrange(key, 0, -1)
            _, found = pipe.execute()
        return [m.decode() for m in found]


_sockets: _LocalSockets | _RedisSockets | None = None
_sockets_lock = threading.Lock()


def _store() -> _LocalSockets | _RedisSockets:
    global _sockets
    with _sockets_lock:
        if _sockets is None:
            from plenary.realtime.bus import bus_prefix

            url = settings.PLENARY_ROOM_BUS_URL
            _sockets = _RedisSockets(url, bus_prefix()) if url else _LocalSockets()
        return _sockets


def _member_user(member: str) -> int | None:
    user = member.rpartition("|")[2]
    return int(user) if user.isdigit() and user != "0" else None


@dataclass(frozen=True)
class Viewers:
    sockets: int
    anonymous: int
    users: frozenset[int]


def viewers(session_id: int) -> Viewers:
    """Count the sockets open on the session (anonymous ones apart), and who is logged in."""
    owners = [_member_user(m) for m in _store().members(session_id)]
    users = frozenset(u for u in owners if u is not None)
    return Viewers(len(owners), sum(1 for u in owners if u is None), users)


# -- this process's sockets, per event loop ---------------------------------------------


class _Tracker:
    """The sockets of one event loop: keeps them fresh and calls the listeners."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sockets: dict[int, dict[str, int | None]] = {}
        self.dirty: set[int] = set()
        # Timer handles rather than sleeping tasks: a loop that closes with one
        # pending (a test's) drops it quietly.
        self.flush_at: asyncio.TimerHandle | None = None
        self.refresh_at: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def changed(self, session_id: int) -> None:
        self.dirty.add(session_id)
        if self.flush_at is None:
            self.flush_at = self.loop.call_later(DEBOUNCE_SECONDS, self._spawn, self._flush)
        if self.refresh_at is None and self.sockets:
            self.refresh_at = self.loop.call_later(REFRESH_SECONDS, self._spawn, self._refresh)

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = self.loop.create_task(work())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush(self) -> None:
        self.flush_at = None
        sessions, self.dirty = self.dirty, set()
        for session_id in sessions:
            for listener in _listeners:
                try:
                    await listener(session_id)
                except Exception:  # a failed announcement must not stop the others
                    logger.exception("presence listener failed for session %s", session_id)

    async def _refresh(self) -> None:
        self.refresh_at = None
        for session_id, members in list(self.sockets.items()):
            try:
                await asyncio.to_thread(_store().add, session_id, list(members))
                users = {u for u in members.values() if u is not None}
                if users:
                    await database_sync_to_async(_seen)(session_id, users)
            except Exception:  # Redis or the database away: try again next time
                logger.exception("presence refresh failed for session %s", session_id)
            # Sockets of other processes may have expired meanwhile.
            self.changed(session_id)


_trackers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Tracker] = (
    weakref.WeakKeyDictionary()
)


def _tracker() -> _Tracker:
    loop = asyncio.get_running_loop()
    tracker = _trackers.get(loop)
    if tracker is None:
        tracker = _trackers[loop] = _Tracker(loop)
    return tracker


async def arrive(session_id: int, user: AnyUser) -> Ticket:
    """Count a new socket on the session; log a logged-in user's arrival."""
    user_id = user.pk if user.is_authenticated else None
    ticket = Ticket(session_id, f"{_process}.{next(_numbers)}|{user_id or 0}", user_id)
    tracker = _tracker()
    tracker.sockets.setdefault(session_id, {})[ticket.member] = user_id
    try:
        await asyncio.to_thread(_store().add, session_id, [ticket.member])
        if user_id is not None:
            await database_sync_to_async(_arrived)(session_id, user_id)
    except Exception:  # presence must never keep anyone out of the room
        logger.exception("could not record an arrival in session %s", session_id)
    tracker.changed(session_id)
    return ticket


async def depart(ticket: Ticket) -> None:
    """Forget a closed socket; log the departure of a logged-in user's last page."""
    tracker = _tracker()
    members = tracker.sockets.get(ticket.session_id, {})
    members.pop(ticket.member, None)
    if not members:
        tracker.sockets.pop(ticket.session_id, None)
    try:
        await asyncio.to_thread(_store().remove, ticket.session_id, ticket.member)
        if ticket.user_id is not None:
            await database_sync_to_async(_departed)(ticket.session_id, ticket.user_id)
    except Exception:  # the refreshes and seen_at correct it later
        logger.exception("could not record a departure in session %s", ticket.session_id)
    tracker.changed(ticket.session_id)


# -- the attendance log -----------------------------------------------------------------


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=EXPIRY_SECONDS)


def _close_interval(row: Attendance, at: datetime) -> None:
    if row.present_since is not None:
        row.seconds_present += max(0, round((at - row.present_since).total_seconds()))
    row.present_since = None
    row.open_sockets = 0
    row.last_left_at = at


@transaction.atomic
def _arrived(session_id: int, user_id: int) -> None:
    now = timezone.now()
    row, _ = Attendance.objects.select_for_update().get_or_create(
        session_id=session_id, user_id=user_id
    )
    if row.open_sockets and row.seen_at is not None and row.seen_at < _stale_before(now):
        # Pages left open on a process that died: they were gone by its last refresh.
        _close_interval(row, row.seen_at)
    if row.open_sockets == 0:
        row.present_since = now
    row.first_joined_at = row.first_joined_at or now
    row.open_sockets += 1
    row.seen_at = now
    row.save()


@transaction.atomic
def _departed(session_id: int, user_id: int) -> None:
    now = timezone.now()
    row = (
        Attendance.objects.select_for_update()
        .filter(session_id=session_id, user_id=user_id)
        .first()
    )
    if row is None or row.open_sockets == 0:
        return
    if row.open_sockets == 1:
        _close_interval(row, now)
    else:
        row.open_sockets -= 1
    row.seen_at = now
    row.save()


def _seen(session_id: int, user_ids: set[int]) -> None:
    Attendance.objects.filter(
        session_id=session_id, user_id__in=user_ids, open_sockets__gt=0
    ).update(seen_at=timezone.now())


def minutes_present(row: Attendance, *, now: datetime | None = None) -> int:
    """Whole minutes the person had a session page open, the current visit included."""
    seconds = row.seconds_present
    if row.open_sockets and row.present_since is not None:
        now = now or timezone.now()
        until = now if row.seen_at is None or row.seen_at >= _stale_before(now) else row.seen_at
        seconds += max(0, round((until - row.present_since).total_seconds()))
    return seconds // 60


def attendance_log(session: Session) -> Sequence[Attendance]:
    """Everyone logged in who came, online or in the hall, in order of arrival."""
    return list(
        Attendance.objects.filter(session=session)
        .select_related("user")
        .order_by("first_joined_at", "checked_in_at", "pk")
    )


# -- the hall ---------------------------------------------------------------------------


@transaction.atomic
def check_in(session_id: int, *, user: AnyUser) -> Attendance:
    """Record that ``user`` is in the hall; again changes nothing.

    Refused once the session has ended or was cancelled. Authorisation (who may
    check in, with which code) is the caller's.
    """
    session = Session.objects.select_for_update().get(pk=session_id)
    if session.status in {Session.Status.ENDED, Session.Status.CANCELLED}:
        raise InvalidState()
    row, _ = Attendance.objects.select_for_update().get_or_create(
        session_id=session_id, user_id=user.pk
    )
    if row.checked_in_at is None:
        row.checked_in_at = timezone.now()
        row.save(update_fields=["checked_in_at"])
    return row


def hall_count(session_id: int) -> int:
    return Attendance.objects.filter(session_id=session_id, checked_in_at__isnull=False).count()


def checked_in_users(session_id: int) -> set[int]:
    return set(
        Attendance.objects.filter(session_id=session_id, checked_in_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def export_attendance(user: User) -> list[dict[str, object]]:
    """A person's attendance, for the download of their data."""
    rows = Attendance.objects.filter(user=user).select_related("session").order_by("pk")
    return [
        {
            "session": row.session.title,
            "session_id": row.session_id,
            "first_joined_at": row.first_joined_at.isoformat() if row.first_joined_at else None,
            "last_left_at": row.last_left_at.isoformat() if row.last_left_at else None,
            "minutes_present": minutes_present(row),
            "checked_in_at": row.checked_in_at.isoformat() if row.checked_in_at else None,
        }
        for row in rows
    ]
