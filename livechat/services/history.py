"""Reading the chat: messages as the room sees them, newest page first."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from accounts.models import User
from assemblies.models import Role, Session
from livechat import access
from livechat.models import Message, Question
from livechat.protocol import Author, MessageState, QuestionState, Quote
from livechat.text import tokenize

PAGE = 100


def describe(messages: Iterable[Message], session: Session) -> list[MessageState]:
    """Turn messages (with ``author`` and ``reply_to`` selected) into wire states."""
    messages = list(messages)
    badges = _badges(session, {m.author_id for m in messages if m.author_id is not None})
    return [
        MessageState(
            id=m.pk,
            author=_author(m.author, badges),
            text=m.text,
            tokens=tokenize(m.text),
            created_at=m.created_at,
            agenda_item=m.agenda_item_id,
            reply_to=_quote(m.reply_to) if m.reply_to else None,
        )
        for m in messages
    ]


def describe_questions(questions: Iterable[Question], session: Session) -> list[QuestionState]:
    """Turn questions (with ``author`` selected) into wire states."""
    questions = list(questions)
    badges = _badges(session, {q.author_id for q in questions if q.author_id is not None})
    return [
        QuestionState(
            id=q.pk,
            author=_author(q.author, badges),
            text=q.text,
            created_at=q.created_at,
            agenda_item=q.agenda_item_id,
            status=q.status,
            votes=q.votes,
        )
        for q in questions
    ]


def _author(user: User | None, badges: dict[int, str]) -> Author:
    if user is None:  # the account was erased
        return Author(id=None, name="", badge="")
    return Author(id=user.pk, name=user.public_name, badge=badges.get(user.pk, ""))


def _quote(message: Message) -> Quote | None:
    if message.status != Message.Status.VISIBLE:
        return None
    author = message.author.public_name if message.author else ""
    excerpt = message.text if len(message.text) <= 120 else message.text[:119] + "…"
    return Quote(id=message.pk, author=author, excerpt=excerpt)


def _badges(session: Session, author_ids: set[int]) -> dict[int, str]:
    """Each author's badge on this session, in one query."""
    if not author_ids:
        return {}
    roles: dict[int, set[str]] = {}
    scope = Q(pk__in=[])
    if session.body_id is not None:
        scope |= Q(body_id=session.body_id)
    if session.event_id is not None:
        scope |= Q(event_id=session.event_id)
    rows = Role.objects.filter(scope, user_id__in=author_ids).values_list("user_id", "kind")
    for user_id, kind in rows:
        roles.setdefault(user_id, set()).add(kind)
    return {user_id: access.badge_for(kinds) for user_id, kinds in roles.items()}


def visible_page(session: Session, *, before: int | None = None) -> tuple[list[Message], bool]:
    """The visible messages before ``before`` (or the latest), oldest first, and whether
    older ones exist."""
    query = (
        Message.objects.filter(session=session, status=Message.Status.VISIBLE)
        .select_related("author", "reply_to__author")
        .order_by("-pk")
    )
    if before is not None:
        query = query.filter(pk__lt=before)
    page = list(query[: PAGE + 1])
    return page[:PAGE][::-1], len(page) > PAGE


def message_state(message: Message) -> MessageState:
    return describe([message], message.session)[0]
