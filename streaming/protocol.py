"""Wire schemas of the broadcast and presence frames on the session socket.

Inbound, from organisers: ``stream.start``, ``stream.end``, ``stream.cancel`` and
``presence.who``. Outbound: ``stream.state`` (in the snapshot), ``stream.status``
(a persisted event with a ``seq``), ``presence.count`` (ephemeral, ``seq`` 0, to
everyone) and ``presence.list`` (the answer to ``presence.who``).

Like every event, ``stream.status`` carries the whole new state, never a change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from plenary.realtime.protocol import Frame


class StreamStart(Frame, tag="stream.start", kw_only=True):
    ref: str | None = None


class StreamEnd(Frame, tag="stream.end", kw_only=True):
    ref: str | None = None


class StreamCancel(Frame, tag="stream.cancel", kw_only=True):
    ref: str | None = None


class PresenceWho(Frame, tag="presence.who", kw_only=True):
    """Organisers: ask who is here (answered with ``presence.list``)."""

    ref: str | None = None


Inbound = StreamStart | StreamEnd | StreamCancel | PresenceWho


class Source(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What to play: ``kind`` is ``hls``, ``file`` or ``embed``."""

    kind: str
    url: str
    provider: str = ""
    click_to_load: bool = False


class Chapter(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An agenda item's place in the replay, in seconds from its start."""

    item: int
    title: str
    #: Seconds from the start of the replay: finite, never negative.
    start: Annotated[float, msgspec.Meta(ge=0, le=10**7)]


class StreamStatus(Frame, tag="stream.status", kw_only=True):
    seq: int = 0
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    #: What plays now: the live source while live, the replay once available.
    source: Source | None
    chapters: list[Chapter]


class StreamState(Frame, tag="stream.state", kw_only=True):
    """The broadcast as of the snapshot, with the room's opening hours."""

    status: str
    started_at: datetime | None
    ended_at: datetime | None
    source: Source | None
    chapters: list[Chapter]
    #: The room (chat, questions, minutes) opens then; null when never.
    room_opens_at: datetime | None
    #: How long the room stays open once the session has ended.
    room_grace_seconds: int
    #: The server's clock when the frame was made, so pages can correct theirs.
    now: datetime
    can_run: bool


class PresenceCount(Frame, tag="presence.count", kw_only=True):
    """How many are watching, rounded (``approx``: 118 becomes 120)."""

    seq: int = 0
    viewers: int
    approx: bool


class Attendee(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: int
    name: str
    online: bool
    in_hall: bool


class PresenceList(Frame, tag="presence.list", kw_only=True):
    """Organisers: who is here now, and the hybrid count for quorum."""

    viewers: int
    anonymous: int
    online: int
    in_hall: int
    total: int
    people: list[Attendee]
    ref: str | None = None


Outbound = StreamStatus | StreamState | PresenceCount | PresenceList
