"""Frames for a few people, not the room: a message's author, the moderators.

They are ephemeral (``seq`` 0, not in the room's log) and published after the
change commits. Moderators who reconnect get their queue again in the snapshot;
an author who reconnects finds the outcome in the chat (approved messages are in
it, rejected ones are not).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from livechat.models import Message
from livechat.protocol import ChatQueued, ChatTransparency, ChatUnqueued, MessageState
from livechat.services.history import describe_queue, transparency
from plenary.realtime.events import publish_ephemeral, record_event
from plenary.realtime.rooms import session_moderators_room, session_room, session_user_room


def publish_after_commit(room: str, frame: Any) -> None:
    transaction.on_commit(lambda: publish_ephemeral(room, frame), robust=True)


def tell_user(session_id: int, user_id: int, frame: Any) -> None:
    publish_after_commit(session_user_room(session_id, user_id), frame)


def tell_author(message: Message, frame: Any) -> None:
    """Send ``frame`` to the sockets of ``message``'s author, if they still exist."""
    if message.author_id is not None:
        tell_user(message.session_id, message.author_id, frame)


def tell_moderators_queued(message: Message, *, state: MessageState | None = None) -> None:
    """Put ``message`` in (or refresh it in) every moderator's queue."""
    states = None if state is None else [state]
    (item,) = describe_queue([message], message.session, states=states)
    publish_after_commit(session_moderators_room(message.session_id), ChatQueued(item=item))


def tell_moderators_unqueued(message: Message) -> None:
    publish_after_commit(session_moderators_room(message.session_id), ChatUnqueued(id=message.pk))


def record_transparency(message: Message) -> None:
    """Tell the room how many messages moderators removed so far, and on what grounds."""
    record_event(
        session_room(message.session_id),
        ChatTransparency(transparency=transparency(message.session)),
    )
