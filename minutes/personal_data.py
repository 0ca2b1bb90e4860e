"""The minutes' part of a person's data: their review comments and suggestions.

Registered with ``accounts.personal_data`` (download, erasure) and
``assemblies.retention`` (deleted past the body's retention). On erasure a
comment stays with the review it belongs to, without its author (the foreign key
is ``SET_NULL``; the page shows "a former participant"): the note-takers' answer
and any change it made to the minutes are part of the public record. The text of
the minutes themselves is the session's, not a person's; their log (who typed
each word, when, and what they struck out) is folded into the text past retention.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.personal_data import DataArea, register
from assemblies import retention
from assemblies.models import Session
from minutes.models import Minutes, ReviewComment
from minutes.services import store


def export(user: User) -> dict[str, Any]:
    comments = (
        ReviewComment.objects.filter(author=user).select_related("minutes__session").order_by("pk")
    )
    return {
        "review_comments": [
            {
                "session": c.minutes.session.title,
                "session_id": c.minutes.session_id,
                "version": c.version,
                "at": c.created_at.isoformat(),
                "text": c.text,
                "quote": c.quote,
                "proposal": c.proposal,
                "status": c.status,
                "reply": c.reply,
            }
            for c in comments
        ]
    }


def register_area() -> None:
    register(DataArea(name="minutes", export=export))
    retention.register("minutes review", purge_session)
    retention.register("minutes history", purge_history)


def purge_session(session: Session) -> int:
    """Past retention: the review's comments go; the minutes and versions stay."""
    deleted, _ = ReviewComment.objects.filter(minutes__session=session).delete()
    return deleted


def purge_history(session: Session) -> int:
    """Past retention: the minutes' log (who typed what, when, and what was struck
    out) is folded into their text; the text and the published versions stay."""
    minutes = Minutes.objects.filter(session=session).values_list("pk", flat=True).first()
    return store.forget_history(minutes) if minutes is not None else 0
