"""When a session's room takes part: posting, asking, voting and reacting.

By default the room follows the session: open while it is scheduled or live,
closed once it has ended or was cancelled. An app may give sessions other hours by
registering them here, since ``assemblies`` imports no other app. The streaming
app does, for sessions with a broadcast: their room opens ``preopen`` minutes
before the start (at once when the broadcast goes live), and closes ``grace``
minutes after the session ends::

    window = room_window(session)  # RoomWindow(open=True, opens_at=..., closes_at=...)
    window.changes_at              # when ``open`` flips by itself, if it will

This is the one rule: the chat's services refuse what comes outside the window,
and ``assemblies.services.room`` tells open pages when it opens or closes.

Read sessions with ``sessions()`` so that what the registered hours need (the
broadcast's row) comes in the same query: posting a message counts its statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from assemblies.models import Session


@dataclass(frozen=True)
class Hours:
    """A session's room hours, as an app sets them."""

    #: How long before the start the room opens; None: any time before it.
    preopen: timedelta | None
    #: How long the room stays open once the session has ended.
    grace: timedelta
    #: A broadcast is live: the room is open whatever the time.
    on_air: bool = False


#: The session's own rule: open until it ends.
SESSION_HOURS = Hours(preopen=None, grace=timedelta(0))

HoursOf = Callable[[Session], Hours | None]


@dataclass(frozen=True)
class _Registration:
    hours_of: HoursOf
    related: tuple[str, ...]


_registrations: list[_Registration] = []


def register_hours(hours_of: HoursOf, *, related: Sequence[str] = ()) -> None:
    """Let ``hours_of(session)`` set the room hours of the sessions it knows (None: not
    one of them). ``related`` names what it reads on the session, for ``select_related``."""
    _registrations[:] = [r for r in _registrations if r.hours_of is not hours_of]
    _registrations.append(_Registration(hours_of, tuple(related)))


def joined(through: str = "") -> list[str]:
    """What the registered hours read, for ``select_related`` (``through`` a
    relation to the session, such as ``"session"`` from a message)."""
    prefix = f"{through}__" if through else ""
    return [prefix + name for r in _registrations for name in r.related]


def sessions() -> QuerySet[Session]:
    """Sessions, with what the registered hours read joined in."""
    return Session.objects.select_related(*joined())


def hours_of(session: Session) -> Hours:
    for registration in _registrations:
        hours = registration.hours_of(session)
        if hours is not None:
            return hours
    return SESSION_HOURS


@dataclass(frozen=True)
class RoomWindow:
    open: bool
    #: When the room opens before the start; None when it has no such limit or never opens.
    opens_at: datetime | None
    #: When it closes, known once the session has ended.
    closes_at: datetime | None
    #: When ``open`` will flip by itself (the pre-opening, the end of the grace period).
    changes_at: datetime | None = None


def room_window(session: Session, *, now: datetime | None = None) -> RoomWindow:
    """Whether ``session``'s room is open at ``now`` (the present by default)."""
    now = now or timezone.now()
    Status = Session.Status
    if session.status == Status.CANCELLED:
        return RoomWindow(open=False, opens_at=None, closes_at=None)
    hours = hours_of(session)
    opens_at = None if hours.preopen is None else session.starts_at - hours.preopen
    closes_at = None
    if session.status == Status.ENDED:
        if session.ended_at is None:  # marked ended in the admin: no end to count from
            return RoomWindow(open=False, opens_at=opens_at, closes_at=None)
        closes_at = session.ended_at + hours.grace
    if session.status == Status.LIVE or hours.on_air:
        return RoomWindow(open=True, opens_at=opens_at, closes_at=closes_at)
    if session.status == Status.SCHEDULED:
        if opens_at is None or now >= opens_at:
            return RoomWindow(open=True, opens_at=opens_at, closes_at=None)
        return RoomWindow(open=False, opens_at=opens_at, closes_at=None, changes_at=opens_at)
    assert closes_at is not None
    if now < closes_at:
        return RoomWindow(open=True, opens_at=opens_at, closes_at=closes_at, changes_at=closes_at)
    return RoomWindow(open=False, opens_at=opens_at, closes_at=closes_at)
