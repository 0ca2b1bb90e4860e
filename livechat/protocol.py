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


class ChatNotice(Frame, tag="chat.notice", kw_only=True):
    """To the author only (seq 0): a moderator hid their message ``id``, and why."""

    id: int
    status: str
    reason: str


class ChatHistory(Frame, tag="chat.history", kw_only=True):
    """Messages in order, oldest first; ``has_more`` when older ones exist."""

    messages: list[MessageState]
    has_more: bool
    slow_mode_seconds: int
    can_post: bool
    can_moderate: bool
    ref: str | None = None


Outbound = ChatMessage | ChatRemoved | ChatSettingsFrame | ChatHistory | ChatNotice


class QuestionAsk(Frame, tag="question.ask", kw_only=True):
    """Ask a question (up to 300 characters); ``client_id`` as for ``chat.post``."""

    text: str
    client_id: str
    ref: str | None = None


class QuestionVote(Frame, tag="question.vote", kw_only=True):
    """Vote for a question (``vote`` true) or take one's vote back (false)."""

    id: Id
    vote: bool = True
    ref: str | None = None


class QuestionSet(Frame, tag="question.set", kw_only=True):
    """Moderators: move a question to ``open`` (approve or reopen), ``on_screen``,
    ``answered`` or ``archived``."""

    id: Id
    status: str
    ref: str | None = None


QuestionInbound = QuestionAsk | QuestionVote | QuestionSet


class QuestionState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    author: Author
    text: str
    created_at: datetime
    agenda_item: int | None
    status: str
    votes: int


class QuestionUpdated(Frame, tag="question.updated", kw_only=True):
    """A question was asked or changed: insert or replace it by ``id`` (``archived``
    ones leave the list). Pending questions reach moderators only, with ``seq`` 0."""

    seq: int = 0
    question: QuestionState


class QuestionList(Frame, tag="question.list", kw_only=True):
    """The snapshot's questions (pending ones only for moderators), the ids this
    viewer voted for, and what the viewer may do."""

    questions: list[QuestionState]
    voted: list[int]
    can_ask: bool
    can_moderate: bool
    premoderated: bool


QuestionOutbound = QuestionUpdated | QuestionList
