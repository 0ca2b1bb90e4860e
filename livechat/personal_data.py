"""The chat's part of a person's data: their messages, questions, votes, reports,
reactions and sanctions. Registered with ``accounts.personal_data`` (download,
erasure) and ``assemblies.retention`` (deleted past the body's retention).

On erasure, messages and questions stay in the sessions' record with no author
(the pages show "participant supprimé"); votes, reports and reactions go with the
account (the ``CASCADE`` of their foreign keys), question vote counts are kept.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.personal_data import DataArea, register
from assemblies import retention
from assemblies.models import Session
from livechat.models import (
    Message,
    MessageReaction,
    MessageReport,
    Question,
    QuestionVote,
    Sanction,
)


def export(user: User) -> dict[str, Any]:
    messages = Message.objects.filter(author=user).select_related("session").order_by("pk")
    questions = Question.objects.filter(author=user).select_related("session").order_by("pk")
    return {
        "messages": [
            {
                "session": m.session.title,
                "session_id": m.session_id,
                "at": m.created_at.isoformat(),
                "text": m.text,
                "status": m.status,
            }
            for m in messages
        ],
        "questions": [
            {
                "session": q.session.title,
                "session_id": q.session_id,
                "at": q.created_at.isoformat(),
                "text": q.text,
                "status": q.status,
            }
            for q in questions
        ],
        "votes": list(QuestionVote.objects.filter(user=user).values_list("question_id", flat=True)),
        "reports": [
            {"message": message_id, "ground": ground, "at": at.isoformat()}
            for message_id, ground, at in MessageReport.objects.filter(user=user).values_list(
                "message_id", "ground", "created_at"
            )
        ],
        "reactions": [
            {"message": message_id, "emoji": emoji}
            for message_id, emoji in MessageReaction.objects.filter(user=user).values_list(
                "message_id", "emoji"
            )
        ],
        "sanctions": [
            {
                "session_id": s.session_id,
                "kind": s.kind,
                "until": s.until.isoformat() if s.until else None,
                "reason": s.reason,
            }
            for s in Sanction.objects.filter(user=user)
        ],
    }


def register_area() -> None:
    register(DataArea(name="chat", export=export))
    retention.register("chat", purge_session)


def purge_session(session: Session) -> int:
    """Past retention: the session's messages and questions go, with their votes,
    reports and reactions (``CASCADE``); sanctions too."""
    deleted = 0
    for model in (Message, Question, Sanction):
        count, _ = model.objects.filter(session=session).delete()
        deleted += count
    return deleted
