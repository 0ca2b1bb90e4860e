"""Posting and deleting chat messages.

``post_message`` checks, in order: the poster is logged in, the chat is open, the
text is acceptable, the poster is not flooding (at most ``FLOOD_MESSAGES`` in
``FLOOD_SECONDS``) and respects slow mode (moderators are exempt). The limits are
read from the database, so they hold across server processes. A post repeats
nothing when its ``client_id`` was already stored for this author: the stored
message is returned and no event is sent again.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Session
from livechat import access
from livechat.exceptions import (
    RateLimited,
    UnknownMessage,
)
from livechat.models import ChatSettings, Message
from livechat.protocol import ChatMessage, ChatRemoved
from livechat.services.history import message_state
from livechat.services.posting import checked_text, open_session, previous_post
from livechat.text import MAX_LENGTH
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room

FLOOD_MESSAGES = 5
FLOOD_SECONDS = 10


def _check_pace(session: Session, user: AnyUser, slow_mode_seconds: int) -> None:
    now = timezone.now()
    mine = Message.objects.filter(session=session, author_id=user.pk)
    if mine.filter(created_at__gt=now - timedelta(seconds=FLOOD_SECONDS)).count() >= FLOOD_MESSAGES:
        raise RateLimited()
    if slow_mode_seconds and not access.access_moderate_chat(user, session):
        last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and now - last < timedelta(seconds=slow_mode_seconds):
            wait = slow_mode_seconds - int((now - last).total_seconds())
            raise RateLimited(
                gettext("Slow mode: you can post again in %(seconds)d s.") % {"seconds": wait}
            )


@transaction.atomic
def post_message(
    session_id: int, *, user: AnyUser, text: str, client_id: str, reply_to: int | None = None
) -> Message:
    """Store a participant's message and send it to the room."""
    existing = previous_post(Message, user=user, client_id=client_id, session_id=session_id)
    if existing is not None:
        return existing
    session = open_session(session_id, user=user)
    text = checked_text(text, limit=MAX_LENGTH)
    settings = ChatSettings.objects.filter(session=session).first()
    _check_pace(session, user, settings.slow_mode_seconds if settings else 0)
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
                author_id=user.pk,
                client_id=client_id,
                text=text,
                agenda_item_id=session.current_item_id,
                reply_to=quoted,
            )
    except IntegrityError:  # the same post, retried concurrently
        return Message.objects.get(author_id=user.pk, client_id=client_id)
    record_event(session_room(session.pk), ChatMessage(message=message_state(message)))
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
    message.status = Message.Status.DELETED
    message.text = ""
    message.save(update_fields=["status", "text"])
    if was_visible:
        record_event(
            session_room(message.session_id), ChatRemoved(id=message.pk, status=message.status)
        )
    return message
