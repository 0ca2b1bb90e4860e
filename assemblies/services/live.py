"""Running a session live: start it, end it, move through its agenda.

Each service locks the session row (``select_for_update``) so that two organisers
pressing buttons at once act one after the other on the state the first left,
checks access, writes an audit entry, and records a room event that every open
page receives after commit (and ``room.status`` when that opens or closes the
room: ``assemblies.services.room``). Replaying an action that is already done (starting a
live session, selecting the current item) changes nothing and emits nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from assemblies import access
from assemblies.access import AnyUser
from assemblies.exceptions import InvalidState, NotAllowed, UnknownItem
from assemblies.models import AgendaItem, Session
from assemblies.protocol import AgendaCurrent, SessionStatus
from assemblies.room_window import room_window
from assemblies.services.audit import log_action
from assemblies.services.room import announce_room
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room


def _lock_for_running(session_id: int, user: AnyUser) -> Session:
    try:
        session = Session.objects.select_for_update().get(pk=session_id)
    except Session.DoesNotExist:
        raise NotAllowed() from None
    if not access.access_run_session(user, session):
        raise NotAllowed()
    return session


def _move_status(
    session: Session, *, source: str, target: str, stamp: str, action: str, actor: AnyUser
) -> bool:
    """Move a locked session from ``source`` to ``target``, stamping ``stamp`` with now.

    Return False, changing nothing, when it is already in ``target`` (a repeated
    press); refuse any other starting state.
    """
    if session.status == target:
        return False
    if session.status != source:
        raise InvalidState()
    before = room_window(session)
    session.status = target
    setattr(session, stamp, timezone.now())
    session.save(update_fields=["status", stamp])
    log_action(actor=actor, action=action, session=session)
    record_event(
        session_room(session.pk),
        SessionStatus(
            status=session.status, started_at=session.started_at, ended_at=session.ended_at
        ),
    )
    announce_room(session, before)
    return True


def _make_current(session: Session, item: AgendaItem | None, *, actor: AnyUser) -> None:
    """Set ``item`` as current, stamp when it started, and tell the room."""
    session.current_item = item
    session.save(update_fields=["current_item"])
    if item is not None:
        item.started_at = timezone.now()
        item.save(update_fields=["started_at"])
    log_action(
        actor=actor,
        action="agenda.current",
        session=session,
        item=item.pk if item else None,
        title=item.title if item else "",
    )
    record_event(
        session_room(session.pk),
        AgendaCurrent(
            item=item.pk if item else None,
            title=item.title if item else "",
            started_at=item.started_at if item else None,
        ),
    )


@transaction.atomic
def start_session(session_id: int, *, user: AnyUser) -> Session:
    """Go live: the session becomes ``live`` and its first agenda item current."""
    session = _lock_for_running(session_id, user)
    started = _move_status(
        session,
        source=Session.Status.SCHEDULED,
        target=Session.Status.LIVE,
        stamp="started_at",
        action="session.start",
        actor=user,
    )
    if started and session.current_item_id is None:
        first = session.agenda_items.order_by("position").first()
        if first is not None:
            _make_current(session, first, actor=user)
    return session


@transaction.atomic
def end_session(session_id: int, *, user: AnyUser) -> Session:
    """End a live session; the agenda stays where it was."""
    session = _lock_for_running(session_id, user)
    _move_status(
        session,
        source=Session.Status.LIVE,
        target=Session.Status.ENDED,
        stamp="ended_at",
        action="session.end",
        actor=user,
    )
    return session


@transaction.atomic
def advance_agenda(session_id: int, *, user: AnyUser, after: int | None = None) -> Session:
    """Make the next agenda item current (the first one if none is).

    With ``after``, move only if that item is still the current one, so that a
    repeated press (a double click, a retry after a lost connection) moves once.
    """
    session = _lock_for_running(session_id, user)
    if session.status != Session.Status.LIVE:
        raise InvalidState()
    if after is not None and session.current_item_id != after:
        return session
    items = session.agenda_items.order_by("position")
    if session.current_item_id is not None:
        current = session.current_item
        assert current is not None
        items = items.filter(position__gt=current.position)
    following = items.first()
    if following is None:
        raise InvalidState(gettext("The last agenda item is already the current one."))
    _make_current(session, following, actor=user)
    return session


@transaction.atomic
def select_agenda_item(session_id: int, item_id: int, *, user: AnyUser) -> Session:
    """Make ``item_id`` current, going back or ahead in the agenda."""
    session = _lock_for_running(session_id, user)
    if session.status != Session.Status.LIVE:
        raise InvalidState()
    item = session.agenda_items.filter(pk=item_id).first()
    if item is None:
        raise UnknownItem()
    if session.current_item_id != item.pk:
        _make_current(session, item, actor=user)
    return session
