"""Wire schemas of the chat frames on the session socket.

Inbound: ``chat.post``, ``chat.delete``, ``chat.hide``, ``chat.unhide``,
``chat.older``, ``chat.slow_mode``. Outbound events (with ``seq``): ``chat.message``
(a new or restored message), ``chat.removed`` (deleted or hidden), ``chat.settings``.
Replies and snapshot: ``chat.history``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from livechat.text import Token
from plenary.realtime.protocol import Frame, Id


class ChatPost(Frame, tag="chat.post", kw_only=True):
    """Post ``text``; ``client_id`` makes a retried post count once."""

    text: str
    client_id: str
    reply_to: Id | None = None
    ref: str | None = None


class ChatDelete(Frame, tag="chat.delete", kw_only=True):
    """Delete one's own message."""

    id: Id
    ref: str | None = None


class ChatHide(Frame, tag="chat.hide", kw_only=True):
    """Moderators: hide a message from everyone, with a reason."""

    id: Id
    reason: str = ""
    ref: str | None = None


class ChatUnhide(Frame, tag="chat.unhide", kw_only=True):
    id: Id
    ref: str | None = None


class ChatOlder(Frame, tag="chat.older", kw_only=True):
    """Ask for the messages before message ``before`` (answered by ``chat.history``)."""

    before: Id
    ref: str | None = None


class ChatSlowMode(Frame, tag="chat.slow_mode", kw_only=True):
    """Moderators: one message per ``seconds`` per participant (0 turns it off)."""

    seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)]
    ref: str | None = None


Inbound = ChatPost | ChatDelete | ChatHide | ChatUnhide | ChatOlder | ChatSlowMode


class Author(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int | None
    name: str
    badge: str


class Quote(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The message replied to, as a short excerpt."""

    id: int
    author: str
    excerpt: str


class MessageState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    author: Author
    text: str
    tokens: list[Token]
    created_at: datetime
    agenda_item: int | None
    reply_to: Quote | None


class ChatMessage(Frame, tag="chat.message", kw_only=True):
    seq: int = 0
    message: MessageState


class ChatRemoved(Frame, tag="chat.removed", kw_only=True):
    """A message left the chat: ``status`` is ``deleted`` or ``hidden``."""

    seq: int = 0
    id: int
    status: str


class ChatSettingsFrame(Frame, tag="chat.settings", kw_only=True):
    seq: int = 0
    slow_mode_seconds: int


class ChatHistory(Frame, tag="chat.history", kw_only=True):
    """Messages in order, oldest first; ``has_more`` when older ones exist."""

    messages: list[MessageState]
    has_more: bool
    slow_mode_seconds: int
    can_post: bool
    can_moderate: bool
    ref: str | None = None


Outbound = ChatMessage | ChatRemoved | ChatSettingsFrame | ChatHistory
