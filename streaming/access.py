"""Who may do what with a session's broadcast. Every check of this app lives here.

Anyone who may watch a session watches its broadcast and its replay. Running the
broadcast (start, end, cancel, set its source) and seeing who is present belong to
whoever runs the session: its organisers and superusers. Ingest hooks carry no
user: they prove themselves with the stream key (``services.broadcast``).
"""

from __future__ import annotations

from assemblies.access import AnyUser, access_run_session, access_view_session
from assemblies.models import Session


def access_watch_stream(user: AnyUser, session: Session) -> bool:
    return access_view_session(user, session)


def access_run_stream(user: AnyUser, session: Session) -> bool:
    """Start, end or cancel the broadcast; set its source; see its stream key."""
    return access_run_session(user, session)


def access_see_attendance(user: AnyUser, session: Session) -> bool:
    """The exact list of who is here, the attendance log and the hybrid count."""
    return access_run_session(user, session)


def access_check_in(user: AnyUser, session: Session) -> bool:
    """Check in at the hall: any logged-in person who may watch the session."""
    if not user.is_authenticated:
        return False
    return access_view_session(user, session)
