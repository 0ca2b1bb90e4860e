"""The session snapshot a page receives when its socket connects."""

from __future__ import annotations

from assemblies import access
from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.protocol import AgendaItemState, SessionState, Viewer


def session_state(session: Session, *, user: AnyUser, seq: int) -> SessionState:
    """Describe ``session`` as of room event ``seq`` for ``user``."""
    roles = access.roles_on_session(user, session)
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
    )
