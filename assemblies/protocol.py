"""Wire schemas of the session socket's programme frames (``/ws/sessions/<id>/``).

Inbound, from organisers: ``session.start``, ``session.end``, ``agenda.advance``,
``agenda.select``, plus ``ping`` from anyone. Outbound: ``session.state`` (the
snapshot sent on connect, with the room's window), ``session.status``,
``agenda.current`` and ``room.status`` (persisted events with a ``seq``), ``ack``,
``error`` and ``pong``.

Outbound events carry the full new state of what changed, never a delta, so a
client that applies one twice ends up where it should.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from plenary.realtime.protocol import Frame, Id


class SessionStart(Frame, tag="session.start", kw_only=True):
    ref: str | None = None


class SessionEnd(Frame, tag="session.end", kw_only=True):
    ref: str | None = None


class AgendaAdvance(Frame, tag="agenda.advance", kw_only=True):
    """Move to the item after ``after`` (the item the organiser sees as current).

    If another item is current by then (a second press, or another organiser was
    quicker), nothing moves: pressing twice never skips an item.
    """

    after: Id | None = None
    ref: str | None = None


class AgendaSelect(Frame, tag="agenda.select", kw_only=True):
    """Make ``item`` the current agenda item."""

    item: Id
    ref: str | None = None


Inbound = SessionStart | SessionEnd | AgendaAdvance | AgendaSelect


class AgendaItemState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    position: int
    title: str
    planned_minutes: int
    presenters: str
    started_at: datetime | None


class SessionStatus(Frame, tag="session.status", kw_only=True):
    seq: int = 0
    status: str
    started_at: datetime | None
    ended_at: datetime | None


class AgendaCurrent(Frame, tag="agenda.current", kw_only=True):
    seq: int = 0
    item: int | None
    title: str
    started_at: datetime | None


class Viewer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    authenticated: bool
    name: str
    roles: list[str]
    can_run: bool


class Room(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Whether the room takes posts, questions, votes and reactions now."""

    open: bool
    #: When the room opens before the start; null when it has no such limit.
    opens_at: datetime | None
    #: When it closes, once the session has ended.
    closes_at: datetime | None


class SessionState(Frame, tag="session.state", kw_only=True):
    seq: int = 0
    id: int
    title: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    current_item: int | None
    remote_participation: bool
    agenda: list[AgendaItemState]
    viewer: Viewer
    room: Room


class RoomStatus(Frame, tag="room.status", kw_only=True):
    """The room opened or closed (``session.state``'s ``room`` changed): the
    pre-opening came, the session started or ended, a broadcast went live, the
    grace period after the end ran out.
    """

    seq: int = 0
    open: bool
    #: When the room opens before the start; null when it has no such limit.
    opens_at: datetime | None
    #: When it closes, once the session has ended.
    closes_at: datetime | None


Outbound = SessionState | SessionStatus | AgendaCurrent | RoomStatus
