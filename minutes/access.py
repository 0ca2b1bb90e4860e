"""Who may read, write and manage a session's minutes. Every minutes check lives here.

Whoever may watch a session reads its minutes live, read-only. Its note-takers and
organisers (and superusers) write them while they are in draft or in review.
Organisers move them through the workflow (review, approval, publication). Once
published, the minutes are public like the session itself, and stay so while
organisers correct them (the published version remains until the next one).

During the review period, logged-in people who may see the session comment and
suggest changes; the note-takers and organisers read every comment and answer
them; an author reads their own comments and the answers.
"""

from __future__ import annotations

from assemblies.access import AnyUser, access_run_session, access_view_session, roles_on_session
from assemblies.models import Role, Session
from minutes.models import Minutes

WRITING_ROLES = {Role.Kind.ORGANISER, Role.Kind.NOTE_TAKER}


def access_read_minutes(user: AnyUser, session: Session) -> bool:
    """Follow the minutes live: anyone who may watch the session."""
    return access_view_session(user, session)


def access_write_minutes(user: AnyUser, minutes: Minutes) -> bool:
    """Edit the document: note-takers and organisers, while it is not locked."""
    if not minutes.is_editable:
        return False
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(WRITING_ROLES & roles_on_session(user, minutes.session))


def access_read_history(user: AnyUser, minutes: Minutes) -> bool:
    """Browse earlier revisions and who wrote what: note-takers and organisers, at
    any status. Not readers: the drafts behind published minutes stay unpublished."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(WRITING_ROLES & roles_on_session(user, minutes.session))


def access_manage_minutes(user: AnyUser, session: Session) -> bool:
    """Submit for review, approve, publish, reopen: the session's organisers."""
    return access_run_session(user, session)


def access_read_published(user: AnyUser, minutes: Minutes) -> bool:
    """The published page and its versions: public once a version is, like the session."""
    if minutes.version < 1:
        return False
    return access_view_session(user, minutes.session)


def access_comment_minutes(user: AnyUser, minutes: Minutes) -> bool:
    """Comment and suggest changes: anyone logged in who may see the session.

    Whether the review period is open is the service's check (a clear error, not
    a hidden form).
    """
    if not user.is_authenticated:
        return False
    return access_read_minutes(user, minutes.session)


def access_answer_comments(user: AnyUser, minutes: Minutes) -> bool:
    """Read every comment, accept or decline them: note-takers and organisers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(WRITING_ROLES & roles_on_session(user, minutes.session))
