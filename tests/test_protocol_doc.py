"""docs/protocol.md documents every frame type and close code the code defines."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assemblies import protocol as assemblies_protocol
from assemblies import session_socket
from livechat import protocol as chat_protocol
from plenary.realtime import protocol as realtime_protocol
from plenary.realtime.protocol import CloseCode, frame_type

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()

FRAMES = [
    *typing.get_args(assemblies_protocol.Inbound),
    *typing.get_args(assemblies_protocol.Outbound),
    *typing.get_args(chat_protocol.Inbound),
    *typing.get_args(chat_protocol.Outbound),
    *typing.get_args(chat_protocol.QuestionInbound),
    *typing.get_args(chat_protocol.QuestionOutbound),
    realtime_protocol.Ping,
    realtime_protocol.Ack,
    realtime_protocol.Error,
    realtime_protocol.Pong,
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.__name__)
def test_every_frame_type_has_a_section(frame):
    assert f"### `{frame_type(frame)}`" in DOC


@pytest.mark.parametrize("code", list(CloseCode), ids=lambda c: c.name)
def test_every_close_code_is_documented(code):
    assert f"| {int(code)} |" in DOC


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.__name__)
def test_every_frame_round_trips_through_json(frame):
    def valid(value) -> bool:
        """from_type ignores msgspec.Meta bounds: keep the values the schema accepts."""
        try:
            msgspec.convert(msgspec.to_builtins(value), type=frame)
        except msgspec.ValidationError:
            return False
        return True

    @given(st.from_type(frame).filter(valid))
    def round_trip(value):
        encoded = msgspec.json.encode(value)
        assert msgspec.json.decode(encoded, type=frame) == value
        assert msgspec.json.decode(encoded)["type"] == frame_type(frame)

    round_trip()


@given(
    st.one_of(
        st.binary(max_size=200), st.dictionaries(st.text(), st.text()).map(msgspec.json.encode)
    )
)
def test_the_inbound_decoder_only_ever_yields_a_known_frame_or_its_own_error(data):
    try:
        frame = session_socket.decoder().decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    assert isinstance(
        frame, (*typing.get_args(assemblies_protocol.Inbound), realtime_protocol.Ping)
    )
