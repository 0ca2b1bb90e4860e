"""Who may do what with the programme. Every check of this app lives here.

The programme is public: anyone, logged in or not, may read every body, event and
session page and follow a session live. Running a session (start, end, advance the
agenda) belongs to the organisers of its body or event, and to superusers.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import User
from assemblies.models import Role, Session

AnyUser = User | AnonymousUser


def roles_on_session(user: AnyUser, session: Session) -> set[str]:
    """Return the role kinds ``user`` holds on the session's body or event."""
    if not user.is_authenticated:
        return set()
    scope = Q(pk__in=[])
    if session.body_id is not None:
        scope |= Q(body_id=session.body_id)
    if session.event_id is not None:
        scope |= Q(event_id=session.event_id)
    return set(Role.objects.filter(scope, user=user).values_list("kind", flat=True))


def access_view_session(user: AnyUser, session: Session) -> bool:
    """Every session of the public programme can be watched and read by anyone."""
    return True


def access_run_session(user: AnyUser, session: Session) -> bool:
    """Start and end the session, move its agenda."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Role.Kind.ORGANISER in roles_on_session(user, session)
