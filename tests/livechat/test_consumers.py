"""The chat on the session socket, through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from livechat.models import Message
from livechat.services import history, messages
from tests.assemblies.test_consumers import next_frame, open_socket
from tests.conftest import login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]


async def opening(socket) -> tuple[dict, dict, dict]:
    state, chat, questions = [await next_frame(socket) for _ in range(3)]
    assert (state["type"], chat["type"], questions["type"]) == (
        "session.state",
        "chat.history",
        "question.list",
    )
    return state, chat, questions


async def test_a_post_reaches_everyone_and_is_acknowledged(session, participant):
    reader = await open_socket(session.pk)
    await opening(reader)
    writer = await open_socket(session.pk, cookie=await login_cookie(participant))
    _, chat, _ = await opening(writer)
    assert chat["can_post"] is True

    await writer.send_json_to(
        {"type": "chat.post", "text": "Bonjour !", "client_id": "x1", "ref": "p"}
    )

    seen = await next_frame(reader)
    assert seen["type"] == "chat.message"
    assert seen["message"]["text"] == "Bonjour !"
    assert seen["message"]["author"]["name"] == "Habitant"
    replies = [await next_frame(writer) for _ in range(2)]
    assert {"type": "ack", "ref": "p"} in replies
    await reader.disconnect()
    await writer.disconnect()


async def test_an_anonymous_post_is_refused_with_a_clear_error(session):
    socket = await open_socket(session.pk)
    _, chat, _ = await opening(socket)
    assert chat["can_post"] is False

    await socket.send_json_to({"type": "chat.post", "text": "x", "client_id": "a", "ref": "p"})

    error = await next_frame(socket)
    assert (error["type"], error["code"], error["ref"]) == ("error", "login_required", "p")
    assert not await Message.objects.aexists()
    await socket.disconnect()


async def test_joining_shows_the_last_hundred_and_older_ones_load_on_request(session, participant):
    def fill() -> None:
        for n in range(history.PAGE + 20):
            Message.objects.create(
                session=session, author=participant, client_id=f"m{n}", text=f"n°{n}"
            )

    await database_sync_to_async(fill)()
    socket = await open_socket(session.pk)

    _, chat, _ = await opening(socket)
    assert len(chat["messages"]) == history.PAGE
    assert chat["messages"][0]["text"] == "n°20"
    assert chat["messages"][-1]["text"] == f"n°{history.PAGE + 19}"
    assert chat["has_more"] is True
    await socket.send_json_to(
        {"type": "chat.older", "before": chat["messages"][0]["id"], "ref": "o"}
    )
    older = await next_frame(socket)
    assert older["type"] == "chat.history"
    assert older["ref"] == "o"
    assert [m["text"] for m in older["messages"]] == [f"n°{n}" for n in range(20)]
    assert older["has_more"] is False
    await socket.disconnect()


async def test_a_reconnecting_reader_gets_the_messages_it_missed(session, participant):
    await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="premier", client_id="1"
    )
    await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="pendant la coupure", client_id="2"
    )

    socket = await open_socket(session.pk, since=1)

    missed = await next_frame(socket)
    assert (missed["type"], missed["seq"], missed["message"]["text"]) == (
        "chat.message",
        2,
        "pendant la coupure",
    )
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


async def test_a_participant_cannot_hide_and_the_room_sees_nothing(session, participant):
    message = await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="à garder", client_id="k"
    )
    other = await open_socket(session.pk)
    await opening(other)
    socket = await open_socket(session.pk, cookie=await login_cookie(participant))
    await opening(socket)

    await socket.send_json_to({"type": "chat.hide", "id": message.pk, "ref": "h"})

    assert (await next_frame(socket))["code"] == "unknown_message"
    assert await other.receive_nothing(timeout=0.2)
    await socket.disconnect()
    await other.disconnect()
