"""Deleting what a session recorded about people once its body's retention ends.

Each body keeps a session's personal data (chat, questions, attendance: each app
registers what it deletes) for ``Body.retention_days`` after the session ends;
sessions of no body keep it ``PLENARY_RETENTION_DAYS`` (365 by default). The
session itself, its agenda and its published minutes stay: they are the public
record. ``manage.py purge_expired`` runs it; ``Session.purged_at`` marks what is
done, so it runs again safely.

``assemblies`` imports no other app: the others register a purger here.

>>> register("chat", lambda session: Message.objects.filter(session=session).delete()[0])
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assemblies.models import Attendance, Session
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room

Purger = Callable[[Session], int]

_purgers: dict[str, Purger] = {}

FINISHED = [Session.Status.ENDED, Session.Status.CANCELLED]


def register(name: str, purger: Purger) -> None:
    """Add what an app deletes for a session; it returns how many rows went."""
    _purgers[name] = purger


def retention_days(session: Session) -> int | None:
    """Days after its end this session's personal data is kept (None: for ever)."""
    body = session.body or (session.event.body if session.event else None)
    if body is not None:
        return body.retention_days
    return int(getattr(settings, "PLENARY_RETENTION_DAYS", 365))


def expired_sessions(now: datetime | None = None) -> list[Session]:
    now = now or timezone.now()
    candidates = (
        Session.objects.filter(purged_at__isnull=True, status__in=FINISHED)
        .filter(Q(ended_at__lt=now) | Q(ended_at__isnull=True, ends_at__lt=now))
        .select_related("body", "event__body")
    )
    expired = []
    for session in candidates:
        days = retention_days(session)
        ended = session.ended_at or session.ends_at
        if days is not None and ended + timedelta(days=days) <= now:
            expired.append(session)
    return expired


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Delete the personal data of every expired session; return counts by area."""
    counts = dict.fromkeys(["sessions", *_purgers], 0)
    for session in expired_sessions(now):
        with transaction.atomic():
            for name, purger in _purgers.items():
                counts[name] += purger(session)
            session.purged_at = timezone.now()
            session.save(update_fields=["purged_at"])
        counts["sessions"] += 1
    return counts


def purge_attendance(session: Session) -> int:
    """Who attended, and when, is personal data: it goes past retention."""
    deleted, _ = Attendance.objects.filter(session=session).delete()
    return deleted


def purge_room_log(session: Session) -> int:
    """The session room's event log repeats what was said in it: it goes too."""
    deleted, _ = RoomEvent.objects.filter(room=session_room(session.pk)).delete()
    return deleted
