"""The y-websocket codec: byte-exact with y-protocols, total on arbitrary input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minutes import protocol
from minutes.protocol import (
    Auth,
    Awareness,
    AwarenessEntry,
    MinutesCloseCode,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()

# Encoded by y-protocols 1.0 and lib0 in Node (the frontend's own packages).
AWARENESS_FROM_YJS = bytes.fromhex(
    "012d017b01297b2275736572223a7b226e616d65223a22417761222c22636f6c6f72223a2223623332363165227d7d"
)
STEP1_EMPTY_FROM_YJS = bytes.fromhex("00000100")
UPDATE_FROM_YJS = bytes.fromhex("00020d01017b00040101740368c3a900")
STEP1_FROM_YJS = bytes.fromhex("000003017b02")


def test_messages_written_by_y_protocols_parse():
    assert protocol.decode_message(STEP1_EMPTY_FROM_YJS) == SyncStep1(b"\x00")
    assert protocol.decode_message(STEP1_FROM_YJS) == SyncStep1(b"\x01\x7b\x02")
    assert protocol.decode_state_vector(b"\x01\x7b\x02") == {123: 2}
    update = protocol.decode_message(UPDATE_FROM_YJS)
    assert isinstance(update, SyncUpdate)
    awareness = protocol.decode_message(AWARENESS_FROM_YJS)
    assert awareness == Awareness(
        (AwarenessEntry(123, 1, '{"user":{"name":"Awa","color":"#b3261e"}}'),)
    )


def test_messages_we_write_are_those_y_protocols_writes():
    assert protocol.encode_sync_step1(b"\x00") == STEP1_EMPTY_FROM_YJS
    assert protocol.encode_sync_step1(b"\x01\x7b\x02") == STEP1_FROM_YJS
    state = json.dumps({"user": {"name": "Awa", "color": "#b3261e"}}, separators=(",", ":"))
    assert protocol.encode_awareness([AwarenessEntry(123, 1, state)]) == AWARENESS_FROM_YJS


def test_a_frame_holds_exactly_one_message():
    with pytest.raises(ProtocolError):
        protocol.decode_message(STEP1_EMPTY_FROM_YJS + b"\x00")


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00",
        b"\x00\x03\x00",  # unknown sync step
        b"\x07",  # unknown message type
        b"\x00\x02\x05ab",  # truncated update
        b"\xff" * 12,  # varint too large
        protocol.encode_awareness([AwarenessEntry(1, 1, "[1, 2]")]),  # not an object
        protocol.encode_awareness([AwarenessEntry(1, 1, "x" * 5000)]),
        protocol.encode_awareness([AwarenessEntry(n, 1, "{}") for n in range(20)]),
    ],
)
def test_malformed_frames_raise_protocol_error(frame):
    with pytest.raises(ProtocolError):
        protocol.decode_message(frame)


@pytest.mark.parametrize("code", list(MinutesCloseCode), ids=lambda c: c.name)
def test_every_close_code_is_documented(code):
    assert f"| {int(code)} |" in DOC


uints = st.integers(min_value=0, max_value=protocol.MAX_VAR_UINT)
json_states = st.one_of(
    st.none(),
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers()), max_size=3
    ),
).map(lambda value: json.dumps(value))
messages = st.one_of(
    st.builds(SyncStep1, st.binary(max_size=64)),
    st.builds(SyncStep2, st.binary(max_size=64)),
    st.builds(SyncUpdate, st.binary(max_size=64)),
    st.builds(
        Awareness,
        st.lists(st.builds(AwarenessEntry, uints, uints, json_states), max_size=5).map(tuple),
    ),
    st.builds(Auth, st.booleans(), st.text(max_size=20)),
    st.just(QueryAwareness()),
)


@given(messages)
def test_every_message_round_trips(message):
    assert protocol.decode_message(protocol.encode(message)) == message


@given(uints)
def test_var_uints_round_trip(value):
    encoded = protocol.var_uint(value)
    assert protocol.decode_state_vector(b"\x01" + encoded + b"\x00") == {value: 0}


@given(st.one_of(st.binary(max_size=300), messages.map(protocol.encode).map(lambda b: b[:-1])))
def test_arbitrary_bytes_parse_or_raise_protocol_error_only(data):
    try:
        message = protocol.decode_message(data)
    except ProtocolError:
        return
    assert protocol.decode_message(protocol.encode(message)) == message
