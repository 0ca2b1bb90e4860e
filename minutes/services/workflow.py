"""The minutes' workflow after the session: review, approval, publication, correction.

::

    draft ──submit──> review ──approve──> approved ──publish──> published (version N)
      ^ ^               │                    │                      │
      │ └─────reopen────┴────────────────────┘                      │
      └──────────────────────────correct────────────────────────────┘

Submitting opens the review period until the end the organisers choose (a week by
default): attendees comment and suggest changes until then (``review``), and
approval stays possible at any time. Publishing freezes version N+1
(``MinutesVersion``: who approved and when, who published, the HTML and the
document state). Correcting published minutes sends them back to draft; the
public page keeps showing version N until the correction is published as N+1.

Each step is an organiser's (``access_manage_minutes``), locks the minutes row
(``select_for_update``) so two organisers pressing together make one move, is
written to the audit log in the same transaction, and after commit resets the live
sockets of the document on every process: they reconnect with their new rights
(approved and published minutes are read-only for everyone). Publishing freezes
the HTML rendered from the document's state at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assemblies.access import AnyUser
from assemblies.services.audit import log_action
from minutes import access
from minutes.exceptions import InvalidState, NotAllowed
from minutes.models import Minutes, MinutesVersion
from minutes.services import store
from minutes.services.document import load_doc, render_html
from minutes.services.rooms import reset_minutes

Status = Minutes.Status

#: The review period when the organisers do not choose its end.
DEFAULT_REVIEW = timedelta(days=7)
#: The longest review period.
MAX_REVIEW = timedelta(days=92)

#: The moves allowed, by action: from which statuses, to which.
MOVES = {
    "submit": ({Status.DRAFT}, Status.REVIEW),
    "approve": ({Status.REVIEW}, Status.APPROVED),
    "publish": ({Status.APPROVED}, Status.PUBLISHED),
    "reopen": ({Status.REVIEW, Status.APPROVED}, Status.DRAFT),
    "correct": ({Status.PUBLISHED}, Status.DRAFT),
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


def _move(
    session_id: int, action: str, user: AnyUser, review_ends_at: datetime | None = None
) -> Minutes:
    sources, target = MOVES[action]
    minutes = _lock_minutes(session_id, user)
    if minutes.status not in sources:
        raise InvalidState()
    previous = minutes.status
    minutes.status = target
    fields = ["status"]
    if target == Status.REVIEW:
        minutes.review_ends_at = review_ends_at
        fields.append("review_ends_at")
    elif target == Status.APPROVED:
        minutes.approved_at = timezone.now()
        minutes.approved_by = user if user.is_authenticated else None
        fields += ["approved_at", "approved_by"]
    elif target == Status.PUBLISHED:
        fields += _freeze_version(minutes, user)
    elif target == Status.DRAFT:  # an approval does not outlive the text it approved
        minutes.approved_at = minutes.approved_by = None
        fields += ["approved_at", "approved_by"]
    minutes.save(update_fields=fields)
    log_action(
        actor=user,
        action=f"minutes.{action}",
        session=minutes.session,
        minutes=minutes.pk,
        previous=previous,
        status=target,
        **({"version": minutes.version} if target == Status.PUBLISHED else {}),
    )
    minutes_id = minutes.pk
    transaction.on_commit(lambda: reset_minutes(minutes_id), robust=True)
    return minutes


def _freeze_version(minutes: Minutes, user: AnyUser) -> list[str]:
    """Write version N+1 from the document as it stands (the row is locked)."""
    doc = load_doc(store.load_document(minutes.pk).blobs())
    now = timezone.now()
    minutes.version += 1
    minutes.published_html = render_html(doc)
    minutes.published_at = now
    MinutesVersion.objects.create(
        minutes=minutes,
        number=minutes.version,
        html=minutes.published_html,
        state=doc.get_update(),
        approved_at=minutes.approved_at,
        approved_by=minutes.approved_by,
        published_at=now,
        published_by=user if user.is_authenticated else None,
    )
    return ["published_html", "published_at", "version"]


def check_review_end(review_ends_at: datetime | None) -> datetime:
    """The end of a review period starting now: the default, or a checked choice."""
    now = timezone.now()
    if review_ends_at is None:
        return now + DEFAULT_REVIEW
    if review_ends_at <= now:
        raise InvalidState(_("The end of the review must be in the future."))
    if review_ends_at > now + MAX_REVIEW:
        raise InvalidState(_("The review may last three months at most."))
    return review_ends_at


@transaction.atomic
def submit_minutes(
    session_id: int, *, user: AnyUser, review_ends_at: datetime | None = None
) -> Minutes:
    """Draft -> in review: attendees comment until ``review_ends_at`` (default: a week)."""
    return _move(session_id, "submit", user, check_review_end(review_ends_at))


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


@transaction.atomic
def correct_minutes(session_id: int, *, user: AnyUser) -> Minutes:
    """Published -> draft, to correct them: the next publication is a new version.

    The published version stays public meanwhile; the correction goes through
    review and approval as the first writing did.
    """
    return _move(session_id, "correct", user)
