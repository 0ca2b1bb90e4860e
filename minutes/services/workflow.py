"""The minutes' workflow after the session: review, approval, publication.

::

    draft ──submit──> review ──approve──> approved ──publish──> published
      ^                 │                    │
      └─────reopen──────┴────────────────────┘

Each step is an organiser's (``access_manage_minutes``), locks the minutes row
(``select_for_update``) so two organisers pressing together make one move, is
written to the audit log in the same transaction, and after commit resets the live
sockets of the document on every process: they reconnect with their new rights
(approved and published minutes are read-only for everyone). Publishing freezes
the HTML rendered from the document's state at that moment.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from assemblies.access import AnyUser
from assemblies.services.audit import log_action
from minutes import access
from minutes.exceptions import InvalidState, NotAllowed
from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import load_doc, render_html
from minutes.services.rooms import reset_minutes

Status = Minutes.Status

#: The moves allowed, by action: from which statuses, to which.
MOVES = {
    "submit": ({Status.DRAFT}, Status.REVIEW),
    "approve": ({Status.REVIEW}, Status.APPROVED),
    "publish": ({Status.APPROVED}, Status.PUBLISHED),
    "reopen": ({Status.REVIEW, Status.APPROVED}, Status.DRAFT),
}


def _lock_minutes(session_id: int, user: AnyUser) -> Minutes:
    minutes = (
        Minutes.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(session_id=session_id)
        .first()
    )
    if minutes is None or not access.access_manage_minutes(user, minutes.session):
        raise NotAllowed()
    return minutes


def _move(session_id: int, action: str, user: AnyUser) -> Minutes:
    sources, target = MOVES[action]
    minutes = _lock_minutes(session_id, user)
    if minutes.status not in sources:
        raise InvalidState()
    previous = minutes.status
    minutes.status = target
    fields = ["status"]
    if target == Status.APPROVED:
        minutes.approved_at = timezone.now()
        minutes.approved_by = user if user.is_authenticated else None
        fields += ["approved_at", "approved_by"]
    elif target == Status.PUBLISHED:
        minutes.published_html = render_html(load_doc(store.load_document(minutes.pk).blobs()))
        minutes.published_at = timezone.now()
        minutes.version += 1
        fields += ["published_html", "published_at", "version"]
    minutes.save(update_fields=fields)
    log_action(
        actor=user,
        action=f"minutes.{action}",
        session=minutes.session,
        minutes=minutes.pk,
        previous=previous,
        status=target,
    )
    minutes_id = minutes.pk
    transaction.on_commit(lambda: reset_minutes(minutes_id), robust=True)
    return minutes


@transaction.atomic
def submit_minutes(session_id: int, *, user: AnyUser) -> Minutes:
    """Draft -> in review: the session is over; attendees read and comment."""
    return _move(session_id, "submit", user)


@transaction.atomic
def approve_minutes(session_id: int, *, user: AnyUser) -> Minutes:
    """In review -> approved: locked; who approved and when are kept."""
    return _move(session_id, "approve", user)


@transaction.atomic
def publish_minutes(session_id: int, *, user: AnyUser) -> Minutes:
    """Approved -> published: the text is frozen and public."""
    return _move(session_id, "publish", user)


@transaction.atomic
def reopen_minutes(session_id: int, *, user: AnyUser) -> Minutes:
    """Back to draft from review or approval, to write more."""
    return _move(session_id, "reopen", user)
