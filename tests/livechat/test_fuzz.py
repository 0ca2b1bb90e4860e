"""Hypothesis throws every kind of chat and question frame at a logged-in socket.

Whatever arrives (wrong types, huge or odd strings, lone surrogates, missing or
unknown fields), the sender gets an answer (an ack, a reply or an error frame),
the socket stays open, and a second socket in the room sees nothing but
well-formed events.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plenary.realtime.hub import get_hub
from tests.assemblies.test_consumers import next_frame, open_socket
from tests.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

TYPES = [
    "chat.post",
    "chat.delete",
    "chat.hide",
    "chat.unhide",
    "chat.older",
    "chat.slow_mode",
    "question.ask",
    "question.vote",
    "question.set",
]
FIELDS = [
    "text",
    "client_id",
    "reply_to",
    "id",
    "reason",
    "before",
    "seconds",
    "vote",
    "status",
    "ref",
    "junk",
]
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3),
    st.just("x" * 600),
    st.just("\u202e\x00<script>"),
    st.just("a\x00b"),
)
values = st.one_of(
    odd_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.floats(allow_nan=False),
)
frames = st.builds(
    lambda kind, fields: json.dumps({"type": kind, **fields}),
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
)

WELL_FORMED = {"chat.message", "chat.removed", "chat.settings", "question.updated"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames)
def test_any_chat_frame_gets_an_answer_and_the_room_is_unharmed(session, participant, frame):
    cookie = session_cookie(participant)

    async def exchange() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sender = await open_socket(session.pk, cookie=cookie)
        reader = await open_socket(session.pk)
        for socket in (sender, reader):
            [await next_frame(socket) for _ in range(3)]
        await sender.send_to(text_data=frame)
        await sender.send_json_to({"type": "ping", "ref": "alive"})
        answers = []
        while (answer := await next_frame(sender)) != {"type": "pong", "ref": "alive"}:
            answers.append(answer)
        seen = []
        while not await reader.receive_nothing(timeout=0.05):
            seen.append(await next_frame(reader))
        await sender.disconnect()
        await reader.disconnect()
        await get_hub().close()
        return answers, seen

    answers, seen = asyncio.run(exchange())

    assert answers, "the sender got no answer"
    assert all(
        a["type"] in {"error", "ack", "chat.history", "question.updated", "chat.message"}
        for a in answers
    )
    assert all(a.get("code") != "server_error" for a in answers), answers
    assert {event["type"] for event in seen} <= WELL_FORMED
