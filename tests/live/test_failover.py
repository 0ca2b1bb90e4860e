"""Two server processes share PostgreSQL and Redis; one dies mid-chat.

Its clients reconnect to the other and resume from their last ``seq``: nothing
that was acknowledged is lost, nothing is shown twice, and a post resent with its
client id after the crash is stored once.
"""

from __future__ import annotations

import json
import os

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from livechat.models import Message
from tests.conftest import login_cookie
from tests.live.test_session_socket import connect, frame_of

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="several processes share state through Redis; this pass runs the embedded default",
    ),
]


async def post(socket, text: str, client_id: str) -> None:
    await socket.send(
        json.dumps({"type": "chat.post", "text": text, "client_id": client_id, "ref": client_id})
    )


async def chat_texts(socket, count: int) -> list[tuple[int, str]]:
    """The next ``count`` chat messages as (seq, text)."""
    return [
        (frame["seq"], frame["message"]["text"])
        for frame in [await frame_of(socket, "chat.message") for _ in range(count)]
    ]


async def test_clients_of_a_dead_process_resume_on_the_other(session, participant, start_server):
    doomed = await sync_to_async(start_server)("uvicorn")
    survivor = await sync_to_async(start_server)("uvicorn")
    cookie = await login_cookie(participant)
    poster = await connect(doomed.url, session.pk, cookie=cookie)
    watcher = await connect(doomed.url, session.pk)
    other = await connect(survivor.url, session.pk)
    for socket in (poster, watcher, other):
        await frame_of(socket, "question.list")  # the end of the opening snapshot

    for n in (1, 2):
        await post(poster, f"avant {n}", f"c{n}")
        await frame_of(poster, "ack")
    before = await chat_texts(watcher, 2)
    await post(poster, "pendant", "c3")  # maybe stored, maybe not: the process dies now
    await sync_to_async(doomed.kill)()

    last_seq = before[-1][0]
    watcher = await connect(survivor.url, session.pk, since=last_seq)
    poster = await connect(survivor.url, session.pk, cookie=cookie, since=last_seq)
    await post(poster, "pendant", "c3")  # the client resends what was not acknowledged
    await post(poster, "après", "c4")
    resumed = await chat_texts(watcher, 2)
    seen_elsewhere = await chat_texts(other, 4)

    assert [text for _, text in before + resumed] == ["avant 1", "avant 2", "pendant", "après"]
    assert [seq for seq, _ in before + resumed] == [
        last_seq - 1,
        last_seq,
        last_seq + 1,
        last_seq + 2,
    ]
    assert seen_elsewhere == before + resumed
    stored = await database_sync_to_async(Message.objects.filter(session=session).count)()
    assert stored == 4
    for socket in (poster, watcher, other):
        await socket.close()
