"""The bridge's frames round-trip through JSON and are documented, like every other."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assemblies import session_socket
from livechat import protocol
from livechat.exceptions import BridgeOff
from plenary.realtime.protocol import frame_type

DOC = (Path(__file__).resolve().parents[3] / "docs" / "protocol.md").read_text()
FRAMES = [
    protocol.BridgeSend,
    protocol.BridgeSendQuestion,
    protocol.BridgeStatus,
    protocol.ChatMessage,
    protocol.ChatQueued,
    protocol.QuestionAsk,
    protocol.QuestionUpdated,
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.__name__)
def test_bridge_frames_round_trip_and_are_documented(frame):
    assert f"### `{frame_type(frame)}`" in DOC

    def valid(value) -> bool:
        try:
            msgspec.convert(msgspec.to_builtins(value), type=frame)
        except msgspec.ValidationError:
            return False
        return True

    @given(st.from_type(frame).filter(valid))
    def round_trip(value):
        assert msgspec.json.decode(msgspec.json.encode(value), type=frame) == value

    round_trip()


def test_the_session_socket_takes_bridge_send_and_documents_its_error():
    frame = session_socket.decoder().decode(b'{"type": "bridge.send", "id": 3}')
    assert frame == protocol.BridgeSend(id=3)
    frame = session_socket.decoder().decode(b'{"type": "bridge.send_question", "id": 4}')
    assert frame == protocol.BridgeSendQuestion(id=4)
    assert f"| `{BridgeOff.code}` |" in DOC
