"""The session snapshot a page receives when its socket connects."""

from __future__ import annotations

from assemblies import access
from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.protocol import AgendaItemState, Room, SessionState, Viewer
from assemblies.room_window import room_window


def session_state(session: Session, *, user: AnyUser, seq: int) -> SessionState:
    """Describe ``session`` as of room event ``seq`` for ``user``.

    Read it with ``assemblies.room_window.sessions()``: its room hours come along.
    """
    roles = access.roles_on_session(user, session)
    window = room_window(session)
    return SessionState(
        seq=seq,
        id=session.pk,
        title=session.title,
        status=session.status,
        started_at=session.started_at,
        ended_at=session.ended_at,
        current_item=session.current_item_id,
        remote_participation=session.remote_participation,
        agenda=[
            AgendaItemState(
                id=item.pk,
                position=item.position,
                title=item.title,
                planned_minutes=item.planned_minutes,
                presenters=item.presenters,
                started_at=item.started_at,
            )
            for item in session.agenda_items.order_by("position")
        ],
        viewer=Viewer(
            authenticated=user.is_authenticated,
            name=getattr(user, "public_name", ""),
            roles=sorted(roles),
            can_run=access.access_run_session(user, session),
        ),
        room=Room(open=window.open, opens_at=window.opens_at, closes_at=window.closes_at),
    )
