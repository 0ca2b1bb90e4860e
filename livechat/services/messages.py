"""Posting and deleting chat messages.

``post_message`` checks, in order: the poster is logged in, the chat is open, the
text is acceptable, no moderator barred the poster (ban, timeout), the account is
old enough, the poster is not flooding (at most ``FLOOD_MESSAGES`` in
``FLOOD_SECONDS``) and respects slow mode. Moderators are exempt from all but
the flood limit. Every limit is read from the database, so it holds across server
processes. A post repeats nothing when its ``client_id`` was already stored for
this author: the stored message is returned and no event is sent again.

Then where the message goes: a message with a blocked word, or any message of a
pre-moderated chat, waits in the moderators' queue (``pending``; its author sees
it marked as waiting); in a post-moderated chat it reaches the room at once and
the queue too (``needs_review``); in an open chat, the room only. Moderators'
own messages always reach the room at once. A participant's message that asks to
go out under the event's hashtag (``share``) always reaches the queue: it leaves
the room only once a moderator approves it (``livechat.services.bridge``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from assemblies.access import AnyUser, roles_on_session
from assemblies.models import Session
from livechat import access
from livechat.blocklist import session_blocklist
from livechat.exceptions import (
    NewAccount,
    RateLimited,
    Restricted,
    UnknownMessage,
)
from livechat.models import ChatSettings, Message
from livechat.protocol import ChatMessage, ChatNotice, ChatRemoved
from livechat.services.history import message_state
from livechat.services.notify import tell_author, tell_moderators_queued, tell_moderators_unqueued
from livechat.services.posting import checked_text, open_session, previous_post
from livechat.services.sanctions import active_sanction, describe_sanction
from livechat.text import MAX_LENGTH
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room

FLOOD_MESSAGES = 5
FLOOD_SECONDS = 10


def _check_standing(session: Session, user: User, settings: ChatSettings) -> None:
    """Refuse a participant a moderator barred, or whose account is too new."""
    sanction = active_sanction(session.pk, user.pk)
    if sanction is not None:
        raise Restricted(describe_sanction(sanction))
    if settings.new_account_minutes:
        ready = user.date_joined + timedelta(minutes=settings.new_account_minutes)
        if ready > timezone.now():
            minutes = max(1, round((ready - timezone.now()).total_seconds() / 60))
            raise NewAccount(
                gettext("New accounts can post here in %(minutes)d min.") % {"minutes": minutes}
            )


def _check_pace(session: Session, user: AnyUser, slow_mode_seconds: int) -> None:
    now = timezone.now()
    mine = Message.objects.filter(session=session, author_id=user.pk)
    if mine.filter(created_at__gt=now - timedelta(seconds=FLOOD_SECONDS)).count() >= FLOOD_MESSAGES:
        raise RateLimited()
    if slow_mode_seconds:
        last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and now - last < timedelta(seconds=slow_mode_seconds):
            wait = slow_mode_seconds - int((now - last).total_seconds())
            raise RateLimited(
                gettext("Slow mode: you can post again in %(seconds)d s.") % {"seconds": wait}
            )


@transaction.atomic
def post_message(
    session_id: int,
    *,
    user: AnyUser,
    text: str,
    client_id: str,
    reply_to: int | None = None,
    share: bool = False,
) -> Message:
    """Store a participant's message and send it to the room."""
    existing = previous_post(Message, user=user, client_id=client_id, session_id=session_id)
    if existing is not None:
        return existing
    assert isinstance(user, User)  # previous_post let only logged-in users through
    session = open_session(session_id, user=user)
    text = checked_text(text, limit=MAX_LENGTH)
    settings = ChatSettings.of(session)
    roles = roles_on_session(user, session)  # read once: moderation and the badge
    moderator = access.access_moderate_chat(user, session, roles)
    if not moderator:
        _check_standing(session, user, settings)
    _check_pace(session, user, 0 if moderator else settings.slow_mode_seconds)
    status, held_for, needs_review = Message.Status.VISIBLE, "", False
    if not moderator:
        if session_blocklist(settings.blocked_words, settings.starter_blocklists).matches(text):
            status, held_for = Message.Status.PENDING, Message.Held.BLOCKED_WORDS
        elif settings.mode == ChatSettings.Mode.PRE_MODERATED:
            status, held_for = Message.Status.PENDING, Message.Held.PREMODERATION
        elif settings.mode == ChatSettings.Mode.POST_MODERATED or share:
            needs_review = True
    quoted = None
    if reply_to is not None:
        quoted = Message.objects.filter(
            pk=reply_to, session=session, status=Message.Status.VISIBLE
        ).first()
        if quoted is None:
            raise UnknownMessage()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session=session,
                author=user,
                client_id=client_id,
                text=text,
                agenda_item_id=session.current_item_id,
                reply_to=quoted,
                status=status,
                held_for=held_for,
                needs_review=needs_review,
                share_requested=share,
            )
    except IntegrityError:  # the same post, retried concurrently
        return Message.objects.get(author_id=user.pk, client_id=client_id)
    state = message_state(message, reactions=False, badges={user.pk: access.badge_for(roles)})
    if status == Message.Status.VISIBLE:
        record_event(session_room(session.pk), ChatMessage(message=state))
    else:
        notice = ChatNotice(id=message.pk, status=status, reason="", message=state)
        tell_author(message, notice)
    if status == Message.Status.PENDING or needs_review:
        tell_moderators_queued(message, state=state)
    return message


@transaction.atomic
def delete_message(message_id: int, *, user: AnyUser) -> Message:
    """Let an author take back their own message: it leaves the chat for everyone."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None or not user.is_authenticated or message.author_id != user.pk:
        raise UnknownMessage()
    if message.status == Message.Status.DELETED:
        return message
    was_visible = message.status == Message.Status.VISIBLE
    was_queued = message.status == Message.Status.PENDING or message.needs_review
    message.status = Message.Status.DELETED
    message.text = ""
    message.needs_review = False
    message.save(update_fields=["status", "text", "needs_review"])
    if was_visible:
        record_event(
            session_room(message.session_id), ChatRemoved(id=message.pk, status=message.status)
        )
    if was_queued:
        tell_moderators_unqueued(message)
    return message
