"""Reading the chat: messages as the room sees them, newest page first, and the
moderators' queue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q

from accounts.models import User
from assemblies.access import AnyUser
from assemblies.models import Role, Session
from livechat import access
from livechat.blocklist import session_blocklist
from livechat.models import ChatSettings, Ground, Message, MessageReaction, Question
from livechat.protocol import (
    Author,
    MediaLink,
    MessageState,
    QuestionState,
    QueueItem,
    Quote,
    Reacted,
    Source,
    Transparency,
)
from livechat.text import tokenize

PAGE = 100


def describe(
    messages: Iterable[Message],
    session: Session,
    *,
    reactions: bool = True,
    badges: dict[int, str] | None = None,
) -> list[MessageState]:
    """Turn messages (with ``author`` and ``reply_to`` selected) into wire states;
    ``reactions`` false skips counting them (a message just posted has none);
    ``badges`` by author id, when the caller knows them, saves reading roles."""
    messages = list(messages)
    if badges is None:
        badges = _badges(session, {m.author_id for m in messages if m.author_id is not None})
    counts = reaction_counts([m.pk for m in messages]) if reactions else {}
    return [
        MessageState(
            id=m.pk,
            author=_external_author(m) if m.network else _author(m.author, badges),
            text=m.text,
            tokens=tokenize(m.text),
            created_at=m.created_at,
            agenda_item=m.agenda_item_id,
            reply_to=_quote(m.reply_to) if m.reply_to else None,
            edited=m.edited,
            reactions=counts.get(m.pk, {}),
            source=_source(m),
        )
        for m in messages
    ]


def _source(message: Message) -> Source | None:
    """Where an imported post comes from; None for the room's own messages."""
    if not message.network:
        return None
    return Source(
        network=message.network,
        url=message.external_url,
        author_name=message.external_author_name,
        author_handle=message.external_author_handle,
        author_url=message.external_author_url,
        content_warning=message.content_warning,
        labels=[str(label) for label in message.labels or () if isinstance(label, str)],
        media=[
            MediaLink(url=str(m.get("url", "")), alt=str(m.get("alt", "")))
            for m in message.media or ()
            if isinstance(m, dict)
        ],
        edited_at=message.external_edited_at,
    )


def reaction_counts(message_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each message's count per emoji, in one query."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        MessageReaction.objects.filter(message_id__in=list(message_ids))
        .values_list("message_id", "emoji")
        .annotate(n=Count("id"))
        .order_by("message_id", "emoji")
    )
    for message_id, emoji, n in rows:
        counts.setdefault(message_id, {})[emoji] = n
    return counts


def reacted_by(user: AnyUser, messages: Iterable[Message]) -> list[Reacted]:
    """The emoji ``user`` put on each of ``messages``."""
    if not user.is_authenticated:
        return []
    mine: dict[int, list[str]] = {}
    rows = MessageReaction.objects.filter(
        message_id__in=[m.pk for m in messages], user_id=user.pk
    ).values_list("message_id", "emoji")
    for message_id, emoji in rows.order_by("message_id", "emoji"):
        mine.setdefault(message_id, []).append(emoji)
    return [Reacted(id=message_id, emojis=emojis) for message_id, emojis in mine.items()]


def pending_of(user: AnyUser, session: Session) -> list[MessageState]:
    """The viewer's own messages waiting for review: their page shows them as such."""
    if not user.is_authenticated:
        return []
    waiting = (
        Message.objects.filter(session=session, author_id=user.pk, status=Message.Status.PENDING)
        .select_related("author", "reply_to__author")
        .order_by("pk")
    )
    return describe(waiting, session, reactions=False)


def queue(session: Session) -> list[Message]:
    """What waits for the moderators: pending messages and visible ones to review."""
    return list(
        Message.objects.filter(
            Q(status=Message.Status.PENDING) | Q(status=Message.Status.VISIBLE, needs_review=True),
            session=session,
        )
        .select_related("author", "reply_to__author")
        .order_by("pk")
    )


def describe_queue(
    messages: Iterable[Message],
    session: Session,
    *,
    states: list[MessageState] | None = None,
) -> list[QueueItem]:
    """Queue items with their open reports (since the last review) and blocked words;
    ``states``, when the caller already described the messages, are used as they are."""
    messages = list(messages)
    if states is None:
        states = describe(messages, session, reactions=False)
    settings = ChatSettings.of(session)
    blocklist = session_blocklist(settings.blocked_words, settings.starter_blocklists)
    reports = open_reports(messages)
    return [
        QueueItem(
            message=state,
            status=m.status,
            held_for=m.held_for,
            reports=reports.get(m.pk, 0),
            matched=blocklist.matches(m.text),
        )
        for m, state in zip(messages, states, strict=True)
    ]


def open_reports(messages: Iterable[Message]) -> dict[int, int]:
    """Reports made on each message since a moderator last reviewed it, in one query."""
    since_review = Q(reports__isnull=False) & (
        Q(reviewed_at__isnull=True) | Q(reports__created_at__gt=F("reviewed_at"))
    )
    rows = (
        Message.objects.filter(pk__in=[m.pk for m in messages])
        .annotate(n=Count("reports", filter=since_review))
        .values_list("pk", "n")
    )
    return dict(rows)


def transparency(session: Session) -> Transparency:
    """How many messages moderators removed, by ground (what the room sees)."""
    rows = (
        Message.objects.filter(
            session=session, status__in=[Message.Status.HIDDEN, Message.Status.REJECTED]
        )
        .values_list("ground")
        .annotate(n=Count("id"))
        .order_by()
    )
    grounds: dict[str, int] = {}
    for ground, n in rows:
        key = ground or Ground.OTHER
        grounds[key] = grounds.get(key, 0) + n
    return Transparency(removed=sum(grounds.values()), grounds=grounds)


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
            share_requested=q.share_requested,
        )
        for q in questions
    ]


def _author(user: User | None, badges: dict[int, str]) -> Author:
    if user is None:  # the account was erased
        return Author(id=None, name="", badge="")
    return Author(id=user.pk, name=user.public_name, badge=badges.get(user.pk, ""))


def _external_author(message: Message) -> Author:
    """An imported post's author, as the chat names people: no account, no badge."""
    return Author(
        id=None, name=message.external_author_name or message.external_author_handle, badge=""
    )


def _quote(message: Message) -> Quote | None:
    if message.status != Message.Status.VISIBLE:
        return None
    if message.network:
        author = message.external_author_name or message.external_author_handle
    else:
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


def message_state(
    message: Message, *, reactions: bool = True, badges: dict[int, str] | None = None
) -> MessageState:
    return describe([message], message.session, reactions=reactions, badges=badges)[0]
