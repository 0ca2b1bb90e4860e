"""Moderating the chat: hide and restore messages, slow mode.

Every action is checked with ``access_moderate_chat``, written to the audit log
with who did it and why, and announced to the room after commit. A hidden message
disappears from every page and its author is told why (``chat.notice``, to their
sockets only); restoring it puts it back in its place.
"""

from __future__ import annotations

from django.db import transaction

from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.services.audit import log_action
from livechat import access
from livechat.exceptions import InvalidMessage, NotAllowed, UnknownMessage
from livechat.models import ChatSettings, Message
from livechat.protocol import ChatMessage, ChatNotice, ChatRemoved, ChatSettingsFrame
from livechat.services.history import message_state
from livechat.text import clean
from plenary.realtime.events import publish_ephemeral, record_event
from plenary.realtime.rooms import session_room, session_user_room

MAX_SLOW_MODE = 3600
MAX_REASON = 200


def _lock_message_to_moderate(message_id: int, user: AnyUser) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",))  # not the joined rows
        .select_related("session", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None or not access.access_moderate_chat(user, message.session):
        raise UnknownMessage()
    return message


@transaction.atomic
def hide_message(message_id: int, *, user: AnyUser, reason: str = "") -> Message:
    """Hide a visible message from the room."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status != Message.Status.VISIBLE:
        return message
    message.status = Message.Status.HIDDEN
    message.reason = clean(reason)[:MAX_REASON]
    message.save(update_fields=["status", "reason"])
    log_action(
        actor=user,
        action="chat.hide",
        session=message.session,
        message=message.pk,
        reason=message.reason,
    )
    record_event(
        session_room(message.session_id), ChatRemoved(id=message.pk, status=message.status)
    )
    if message.author_id is not None:  # tell the author, and only them, why
        room = session_user_room(message.session_id, message.author_id)
        notice = ChatNotice(id=message.pk, status=message.status, reason=message.reason)
        transaction.on_commit(lambda: publish_ephemeral(room, notice), robust=True)
    return message


@transaction.atomic
def unhide_message(message_id: int, *, user: AnyUser) -> Message:
    """Put a hidden message back in the room."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status != Message.Status.HIDDEN:
        return message
    message.status = Message.Status.VISIBLE
    message.save(update_fields=["status"])
    log_action(actor=user, action="chat.unhide", session=message.session, message=message.pk)
    record_event(session_room(message.session_id), ChatMessage(message=message_state(message)))
    return message


@transaction.atomic
def set_slow_mode(session_id: int, seconds: int, *, user: AnyUser) -> ChatSettings:
    """One message per ``seconds`` per participant; moderators are exempt."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not access.access_moderate_chat(user, session):
        raise NotAllowed()
    if not 0 <= seconds <= MAX_SLOW_MODE:
        raise InvalidMessage()
    settings, _ = ChatSettings.objects.select_for_update().get_or_create(session=session)
    if settings.slow_mode_seconds == seconds:
        return settings
    settings.slow_mode_seconds = seconds
    settings.save(update_fields=["slow_mode_seconds"])
    log_action(actor=user, action="chat.slow_mode", session=session, seconds=seconds)
    record_event(session_room(session.pk), ChatSettingsFrame(slow_mode_seconds=seconds))
    return settings
