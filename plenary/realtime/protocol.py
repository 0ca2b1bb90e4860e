"""Frames and close codes shared by every Plenary socket.

Every frame is a JSON object with a ``type`` named ``<area>.<noun>``; each type is a
``msgspec.Struct`` that rejects unknown fields. docs/protocol.md documents them and
tests/test_protocol_doc.py checks the document against the schemas.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated

import msgspec

#: A database id in a frame: positive and within a 64-bit integer.
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class CloseCode(IntEnum):
    """Close codes a client can act on (4000-4999 are the application's own)."""

    #: The socket fell too far behind; reconnect with ``?since=<last seq>``.
    TOO_SLOW = 4008
    #: The server is going away (restart, deploy); reconnect and resume.
    GOING_AWAY = 1001
    #: No such room, or not visible to this user; do not reconnect.
    NOT_FOUND = 4404


class Frame(msgspec.Struct, forbid_unknown_fields=True, tag_field="type", kw_only=True):
    """Base of every wire frame: the tag is the frame's ``type``."""


class Error(Frame, tag="error", kw_only=True):
    """The server refused a frame; the connection stays open."""

    code: str
    message: str
    ref: str | None = None


class Ack(Frame, tag="ack", kw_only=True):
    """A client action identified by ``ref`` was carried out."""

    ref: str


class Ping(Frame, tag="ping", kw_only=True):
    """Client keep-alive; answered with ``pong``."""

    ref: str | None = None


class Pong(Frame, tag="pong", kw_only=True):
    ref: str | None = None


#: Largest text frame a client may send, in characters.
MAX_INBOUND_FRAME = 16 * 1024


def frame_type(frame: msgspec.Struct) -> str:
    """Return a frame's ``type`` (its msgspec tag)."""
    return str(frame.__struct_config__.tag)
