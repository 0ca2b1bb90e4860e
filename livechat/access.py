"""Who may read, post and moderate in a session's chat. Every chat check lives here."""

from __future__ import annotations

from assemblies.access import AnyUser, access_view_session, roles_on_session
from assemblies.models import Event, Role, Session
from assemblies.room_window import room_window

MODERATING_ROLES = {Role.Kind.ORGANISER, Role.Kind.MODERATOR}


def access_read_chat(user: AnyUser, session: Session) -> bool:
    """Whoever may watch the session reads its chat."""
    return access_view_session(user, session)


def chat_is_open(session: Session) -> bool:
    """Posting, asking, voting and reacting follow the room's window
    (``assemblies.room_window``): by default open before and during the session;
    with a broadcast, from its pre-opening to the end of the grace period."""
    return room_window(session).open


def access_moderate_chat(user: AnyUser, session: Session, roles: set[str] | None = None) -> bool:
    """``roles``, when the caller already read them, saves reading them again."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if roles is None:
        roles = roles_on_session(user, session)
    return bool(MODERATING_ROLES & roles)


def badge_for(roles: set[str]) -> str:
    """The badge shown next to an author's name: ``organiser``, ``moderator`` or ``""``."""
    if Role.Kind.ORGANISER in roles:
        return "organiser"
    if Role.Kind.MODERATOR in roles:
        return "moderator"
    return ""


def access_configure_bridge(user: AnyUser, event: Event) -> bool:
    """Set an event's hashtag bridge (its accounts): the event's organisers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Role.objects.filter(event=event, user=user, kind=Role.Kind.ORGANISER).exists()
