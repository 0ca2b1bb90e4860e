"""The y-websocket wire protocol of ``/ws/minutes/<session id>/``, parsed and built.

The minutes socket speaks the binary protocol of y-websocket (y-protocols' sync and
awareness), so an unmodified ``WebsocketProvider`` syncs with it. Each websocket
message is one binary frame holding one protocol message, in lib0's encoding::

    message    = varUint(type) payload
    type 0     sync:       varUint(step) varUint8Array(data)
                           step 0 = sync step 1 (data: a state vector)
                           step 1 = sync step 2 (data: an update)
                           step 2 = update      (data: an update)
    type 1     awareness:  varUint8Array(varUint(n) n * (varUint(client) varUint(clock)
                           varString(JSON state or "null")))
    type 2     auth:       varUint(0 = permission denied) varString(reason)
    type 3     query awareness (no payload)

``varUint`` is little-endian base 128 (7 bits a byte, the high bit says "more").
For example sync step 1 with the empty state vector is ``00 00 01 00``::

    >>> encode_sync_step1(b"\\x00")
    b'\\x00\\x00\\x01\\x00'
    >>> decode_message(b"\\x00\\x00\\x01\\x00")
    SyncStep1(state_vector=b'\\x00')

Invariants: ``decode_message`` either returns one of the message types below or
raises ``ProtocolError`` (never another exception, whatever the bytes); a frame must
hold exactly one message (trailing bytes are an error). Updates are not decoded
here: the room validates them by applying them to its document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import msgspec

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

#: The largest integer lib0 writes as a varUint (JavaScript's safe integers).
MAX_VAR_UINT = 2**53 - 1
#: Client states one awareness message may carry (a browser sends its own).
MAX_AWARENESS_ENTRIES = 16
#: Bytes of JSON in one client's awareness state (a name, a colour, a cursor).
MAX_AWARENESS_STATE = 4096
#: An update with nothing in it: no structs, an empty delete set.
EMPTY_UPDATE = b"\x00\x00"


class MinutesCloseCode(IntEnum):
    """Close codes of the minutes socket (y-websocket clients reconnect on any close)."""

    #: The frame is not a y-websocket message, or its update is malformed.
    BAD_FRAME = 4400
    #: A reader sent changes: the minutes are read-only for this socket.
    READ_ONLY = 4403
    #: No such session (or not visible to you); do not reconnect.
    NOT_FOUND = 4404
    #: The socket fell too far behind; reconnect and resync.
    TOO_SLOW = 4008
    #: The minutes changed status (locked or reopened); reconnect to get your new rights.
    STATUS_CHANGED = 4409
    #: The document reached its size limit; nothing more is accepted.
    TOO_LARGE = 4413
    #: Awareness (cursor) messages came too fast.
    FLOOD = 4429
    #: The server could not store an update; reconnect and resync.
    SERVER_ERROR = 1011


class ProtocolError(ValueError):
    """The bytes are not one well-formed y-websocket message."""


@dataclass(frozen=True, slots=True)
class SyncStep1:
    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client: int
    clock: int
    state: str  # JSON text; "null" removes the client


@dataclass(frozen=True, slots=True)
class Awareness:
    entries: tuple[AwarenessEntry, ...]


@dataclass(frozen=True, slots=True)
class Auth:
    denied: bool
    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    pass


Message = SyncStep1 | SyncStep2 | SyncUpdate | Awareness | Auth | QueryAwareness


# -- lib0 encoding ---------------------------------------------------------------------


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = shift = 0
        data, pos = self.data, self.pos
        while True:
            if pos >= len(data):
                raise ProtocolError("truncated integer")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 53:
                raise ProtocolError("integer too large")
        if value > MAX_VAR_UINT:
            raise ProtocolError("integer too large")
        self.pos = pos
        return value

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("truncated bytes")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("a string that is not UTF-8") from None

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError("trailing bytes after the message")


def var_uint(value: int) -> bytes:
    """Encode ``value`` (0 to 2**53 - 1) as lib0's varUint."""
    if not 0 <= value <= MAX_VAR_UINT:
        raise ValueError(f"{value} is out of range")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


# -- messages --------------------------------------------------------------------------


def decode_message(data: bytes) -> Message:
    """Parse one frame into a message; raise ``ProtocolError`` for anything else."""
    reader = _Reader(data)
    kind = reader.var_uint()
    message: Message
    if kind == MESSAGE_SYNC:
        step = reader.var_uint()
        payload = reader.var_bytes()
        if step == SYNC_STEP1:
            message = SyncStep1(payload)
        elif step == SYNC_STEP2:
            message = SyncStep2(payload)
        elif step == SYNC_UPDATE:
            message = SyncUpdate(payload)
        else:
            raise ProtocolError(f"unknown sync step {step}")
    elif kind == MESSAGE_AWARENESS:
        message = decode_awareness(reader.var_bytes())
    elif kind == MESSAGE_AUTH:
        denied = reader.var_uint() == 0
        message = Auth(denied, reader.var_string())
    elif kind == MESSAGE_QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unknown message type {kind}")
    reader.end()
    return message


_state_decoder = msgspec.json.Decoder(dict[str, Any] | None)


def decode_awareness(update: bytes) -> Awareness:
    """Parse an awareness update; each state must be a JSON object or null."""
    reader = _Reader(update)
    count = reader.var_uint()
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("too many awareness states in one message")
    entries = []
    for _ in range(count):
        client = reader.var_uint()
        clock = reader.var_uint()
        state = reader.var_string()
        if len(state) > MAX_AWARENESS_STATE:
            raise ProtocolError("awareness state too large")
        try:
            _state_decoder.decode(state)
        except msgspec.DecodeError:
            raise ProtocolError("awareness state is not a JSON object") from None
        entries.append(AwarenessEntry(client, clock, state))
    reader.end()
    return Awareness(tuple(entries))


def encode_sync_step1(state_vector: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_STEP1)) + var_bytes(state_vector)


def encode_sync_step2(update: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_STEP2)) + var_bytes(update)


def encode_update(update: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_UPDATE)) + var_bytes(update)


def encode_awareness_update(entries: list[AwarenessEntry] | tuple[AwarenessEntry, ...]) -> bytes:
    """The awareness update itself (what ``MESSAGE_AWARENESS`` wraps)."""
    parts = [var_uint(len(entries))]
    for entry in entries:
        parts += [
            var_uint(entry.client),
            var_uint(entry.clock),
            var_bytes(entry.state.encode("utf-8")),
        ]
    return b"".join(parts)


def encode_awareness(entries: list[AwarenessEntry] | tuple[AwarenessEntry, ...]) -> bytes:
    return bytes((MESSAGE_AWARENESS,)) + var_bytes(encode_awareness_update(entries))


def encode_auth_denied(reason: str) -> bytes:
    return bytes((MESSAGE_AUTH, 0)) + var_bytes(reason.encode("utf-8"))


def encode_query_awareness() -> bytes:
    return bytes((MESSAGE_QUERY_AWARENESS,))


def encode(message: Message) -> bytes:
    """Encode any message (the inverse of ``decode_message``)."""
    match message:
        case SyncStep1(state_vector=sv):
            return encode_sync_step1(sv)
        case SyncStep2(update=update):
            return encode_sync_step2(update)
        case SyncUpdate(update=update):
            return encode_update(update)
        case Awareness(entries=entries):
            return encode_awareness(entries)
        case Auth(denied=denied, reason=reason):
            return bytes((MESSAGE_AUTH, 0 if denied else 1)) + var_bytes(reason.encode("utf-8"))
        case QueryAwareness():
            return encode_query_awareness()
    raise TypeError(f"not a message: {message!r}")


def decode_state_vector(state_vector: bytes) -> dict[int, int]:
    """Parse a Yjs state vector: ``{client: clock}``."""
    reader = _Reader(state_vector)
    count = reader.var_uint()
    clocks: dict[int, int] = {}
    for _ in range(count):
        client = reader.var_uint()
        clocks[client] = reader.var_uint()
    reader.end()
    return clocks


def has_more(theirs: dict[int, int], ours: dict[int, int]) -> bool:
    """Whether state vector ``theirs`` holds a clock beyond ``ours`` for some client."""
    return any(clock > ours.get(client, 0) for client, clock in theirs.items())
