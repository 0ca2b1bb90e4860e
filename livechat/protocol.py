"""Wire schemas of the chat frames on the session socket.

Inbound: ``chat.post``, ``chat.delete``, ``chat.react``, ``chat.report``,
``chat.older``; for moderators ``chat.hide``, ``chat.unhide``, ``chat.approve``,
``chat.reject``, ``chat.sanction``, ``chat.lift``, ``chat.slow_mode``. Outbound
room events (with ``seq``): ``chat.message`` (a new, approved or restored
message), ``chat.removed`` (deleted, hidden or held for review),
``chat.settings``, ``chat.transparency``, ``chat.reactions``. To moderators only
(``seq`` 0): ``chat.queue`` (snapshot), ``chat.queued``, ``chat.unqueued``. To one
person only: ``chat.notice``, ``chat.restriction``. Replies and snapshot:
``chat.history``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from livechat.text import Token
from plenary.realtime.protocol import Frame, Id


class ChatPost(Frame, tag="chat.post", kw_only=True):
    """Post ``text``; ``client_id`` makes a retried post count once; ``share`` asks
    for it to go out under the event's hashtag once a moderator approves it."""

    text: str
    client_id: str
    reply_to: Id | None = None
    share: bool = False
    ref: str | None = None


class ChatDelete(Frame, tag="chat.delete", kw_only=True):
    """Delete one's own message."""

    id: Id
    ref: str | None = None


#: The public category of a removal (``livechat.models.Ground``).
Ground = Literal["off_topic", "abuse", "spam", "personal_data", "other"]
#: The emoji a message can get; anything else is refused.
REACTIONS = ("👍", "❤️", "😂", "👏", "🤔", "😮")
Emoji = Literal["👍", "❤️", "😂", "👏", "🤔", "😮"]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]


class ChatHide(Frame, tag="chat.hide", kw_only=True):
    """Moderators: hide a message from everyone, with a public ground and a note
    for its author."""

    id: Id
    ground: Ground = "other"
    reason: Reason = ""
    ref: str | None = None


class ChatUnhide(Frame, tag="chat.unhide", kw_only=True):
    id: Id
    ref: str | None = None


class ChatApprove(Frame, tag="chat.approve", kw_only=True):
    """Moderators: publish a message from the queue (``text`` edits it first), or
    mark a visible one reviewed."""

    id: Id
    text: str | None = None
    ref: str | None = None


class ChatReject(Frame, tag="chat.reject", kw_only=True):
    """Moderators: refuse a message from the queue; its author is told why."""

    id: Id
    ground: Ground = "other"
    reason: Reason = ""
    ref: str | None = None


class ChatReport(Frame, tag="chat.report", kw_only=True):
    """Participants: report a message to the moderators (once per message)."""

    id: Id
    ground: Ground = "other"
    ref: str | None = None


class ChatReact(Frame, tag="chat.react", kw_only=True):
    """Add (``on`` true) or take back an emoji reaction to a message."""

    id: Id
    emoji: Emoji
    on: bool = True
    ref: str | None = None


class ChatSanction(Frame, tag="chat.sanction", kw_only=True):
    """Moderators: bar ``user`` from posting, for ``minutes`` (a timeout) or until
    lifted (a ban, ``minutes`` null). They still read the chat."""

    user: Id
    minutes: Annotated[int, msgspec.Meta(ge=1, le=10080)] | None = None
    reason: Reason = ""
    ref: str | None = None


class ChatLift(Frame, tag="chat.lift", kw_only=True):
    """Moderators: let ``user`` post again."""

    user: Id
    ref: str | None = None


class ChatOlder(Frame, tag="chat.older", kw_only=True):
    """Ask for the messages before message ``before`` (answered by ``chat.history``)."""

    before: Id
    ref: str | None = None


class ChatSlowMode(Frame, tag="chat.slow_mode", kw_only=True):
    """Moderators: one message per ``seconds`` per participant (0 turns it off)."""

    seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)]
    ref: str | None = None


Inbound = (
    ChatPost
    | ChatDelete
    | ChatHide
    | ChatUnhide
    | ChatApprove
    | ChatReject
    | ChatReport
    | ChatReact
    | ChatSanction
    | ChatLift
    | ChatOlder
    | ChatSlowMode
)


class Author(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int | None
    name: str
    badge: str


class Quote(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The message replied to, as a short excerpt."""

    id: int
    author: str
    excerpt: str


class MediaLink(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An image or video of an imported post: a link, with its description."""

    url: str
    alt: str


class Source(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where an imported post comes from (the hashtag bridge): the ``network``
    (``mastodon``, ``bluesky``), the original (``url``), its author's name, handle
    and page, its content warning (shown collapsed; "" for none), its Bluesky
    self-labels (``sexual``, ``nudity``, ``porn``, ``graphic-media`` or another
    value: shown collapsed too, named), its media, and when its author last edited
    it (null if never)."""

    network: str
    url: str
    author_name: str
    author_handle: str
    author_url: str
    content_warning: str
    labels: list[str]
    media: list[MediaLink]
    edited_at: datetime | None


class MessageState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    author: Author
    text: str
    tokens: list[Token]
    created_at: datetime
    agenda_item: int | None
    reply_to: Quote | None
    edited: bool
    reactions: dict[str, int]
    source: Source | None  # null for the room's own messages


class ChatMessage(Frame, tag="chat.message", kw_only=True):
    seq: int = 0
    message: MessageState


class ChatRemoved(Frame, tag="chat.removed", kw_only=True):
    """A message left the chat: ``status`` is ``deleted``, ``hidden`` or ``pending``
    (held for review after reports)."""

    seq: int = 0
    id: int
    status: str


class ChatSettingsFrame(Frame, tag="chat.settings", kw_only=True):
    """The chat's public rules: moderation ``mode`` (``open``, ``post_moderated``,
    ``pre_moderated``) and slow mode."""

    seq: int = 0
    slow_mode_seconds: int
    mode: str = "open"


class ChatNotice(Frame, tag="chat.notice", kw_only=True):
    """To the author only (seq 0): their message ``id`` is ``pending`` (waiting for
    review; ``message`` is it, for their page only), ``hidden`` or ``rejected``,
    and why."""

    id: int
    status: str
    reason: str
    message: MessageState | None = None


class Restriction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Why someone may not post: ``ban`` (no end) or ``timeout`` until ``until``."""

    kind: str
    until: datetime | None
    reason: str


class ChatRestriction(Frame, tag="chat.restriction", kw_only=True):
    """To one person (seq 0): they may no longer post (``restriction``), or may
    again (null)."""

    restriction: Restriction | None


class Transparency(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How many messages moderators removed in this session, by ground."""

    removed: int
    grounds: dict[str, int]


class ChatTransparency(Frame, tag="chat.transparency", kw_only=True):
    seq: int = 0
    transparency: Transparency


class Reactions(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    reactions: dict[str, int]


class Reacted(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The emoji this viewer put on message ``id``."""

    id: int
    emojis: list[str]


class ChatReactions(Frame, tag="chat.reactions", kw_only=True):
    """The reaction counts of the messages that changed in the last second."""

    seq: int = 0
    messages: list[Reactions]


class QueueItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A message for the moderators to review: ``status`` ``pending`` (not in the
    room) or ``visible`` (post-moderation, reports); ``held_for`` is
    ``premoderation``, ``blocked_words``, ``reports`` or empty."""

    message: MessageState
    status: str
    held_for: str
    reports: int
    matched: list[str]


class ChatQueue(Frame, tag="chat.queue", kw_only=True):
    """Moderators' snapshot: every message waiting for review, oldest first."""

    items: list[QueueItem]


class ChatQueued(Frame, tag="chat.queued", kw_only=True):
    """Moderators: a message entered the queue, or changed there (a new report)."""

    item: QueueItem


class ChatUnqueued(Frame, tag="chat.unqueued", kw_only=True):
    """Moderators: message ``id`` left the queue (approved, rejected, hidden, deleted)."""

    id: int


class ChatHistory(Frame, tag="chat.history", kw_only=True):
    """Messages in order, oldest first; ``has_more`` when older ones exist."""

    messages: list[MessageState]
    has_more: bool
    slow_mode_seconds: int
    mode: str = "open"
    can_post: bool
    can_moderate: bool
    restriction: Restriction | None = None
    transparency: Transparency | None = None
    reacted: list[Reacted]
    pending: list[MessageState]
    ref: str | None = None


Outbound = (
    ChatMessage
    | ChatRemoved
    | ChatSettingsFrame
    | ChatHistory
    | ChatNotice
    | ChatRestriction
    | ChatTransparency
    | ChatReactions
    | ChatQueue
    | ChatQueued
    | ChatUnqueued
)


class QuestionAsk(Frame, tag="question.ask", kw_only=True):
    """Ask a question (up to 300 characters); ``client_id`` as for ``chat.post``;
    ``share`` asks for it to go out under the event's hashtag once a moderator
    approves it."""

    text: str
    client_id: str
    share: bool = False
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
    share_requested: bool  # its author asked for it to go out under the hashtag


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


class BridgeSend(Frame, tag="bridge.send", kw_only=True):
    """Moderators: send visible message ``id`` out under the event's hashtag, on
    every network the bridge can post to."""

    id: Id
    ref: str | None = None


class BridgeSendQuestion(Frame, tag="bridge.send_question", kw_only=True):
    """Moderators: send question ``id`` (open, on screen or answered) out under the
    event's hashtag, on every network the bridge can post to."""

    id: Id
    ref: str | None = None


BridgeInbound = BridgeSend | BridgeSendQuestion


class NetworkState(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One network's side of the hashtag bridge: ``connected``, ``stopped`` (the
    credentials were refused: an organiser must fix them), when the last post came
    in, and the last error (with its time)."""

    network: str
    connected: bool
    stopped: bool
    last_post_at: datetime | None
    last_error: str
    last_error_at: datetime | None


class BridgeStatus(Frame, tag="bridge.status", kw_only=True):
    """Moderators (``seq`` 0): where the event's hashtag bridge stands, sent in the
    snapshot and whenever it changes. ``hashtags`` are the tags followed; an empty
    ``networks`` means no bridge is configured."""

    hashtags: list[str]
    networks: list[NetworkState]


BridgeOutbound = BridgeStatus
