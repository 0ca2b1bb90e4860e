"""The broadcast's frames: documented in docs/protocol.md, and they round-trip."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assemblies import session_socket
from plenary.realtime.protocol import frame_type
from streaming import protocol

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
FRAMES = [*typing.get_args(protocol.Inbound), *typing.get_args(protocol.Outbound)]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.__name__)
def test_every_frame_type_has_a_section(frame):
    assert f"### `{frame_type(frame)}`" in DOC


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


@pytest.mark.parametrize("frame", typing.get_args(protocol.Inbound), ids=lambda f: f.__name__)
def test_the_session_socket_decodes_the_inbound_frames(frame):
    decoded = session_socket.decoder().decode(msgspec.json.encode(frame(ref="1")))
    assert decoded == frame(ref="1")


@given(
    st.dictionaries(
        st.sampled_from(["type", "ref", "extra"]),
        st.one_of(st.sampled_from(["stream.start", "stream.end", "presence.who"]), st.integers()),
    ).map(msgspec.json.encode)
)
def test_a_malformed_broadcast_frame_is_refused_not_misread(data):
    try:
        frame = session_socket.decoder().decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    assert isinstance(frame.ref, str | None)
