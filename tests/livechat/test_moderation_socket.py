"""The moderation queue, sanctions and reactions through the session socket, as
the pages live them: who receives which frame, and when."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from assemblies.models import Role
from livechat.models import ChatSettings, Message
from livechat.services import messages, reactions
from tests import factories
from tests.assemblies.test_consumers import next_frame, open_socket
from tests.conftest import login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]


@pytest.fixture
def moderator(session):
    user = factories.make_user("modo")
    factories.grant(user, Role.Kind.MODERATOR, body=session.body)
    return user


async def opened(session, user=None):
    """A socket past its snapshot; returns it and the snapshot frames by type."""
    cookie = await login_cookie(user) if user is not None else None
    socket = await open_socket(session.pk, cookie=cookie)
    frames = {}
    for _ in range(3):
        frame = await next_frame(socket)
        frames[frame["type"]] = frame
    if frames["chat.history"]["can_moderate"]:
        frame = await next_frame(socket)
        frames[frame["type"]] = frame
    return socket, frames


async def frames_until(socket, kind: str) -> list[dict]:
    seen = []
    while not seen or seen[-1]["type"] != kind:
        seen.append(await next_frame(socket))
    return seen


async def test_a_pre_moderated_post_goes_to_the_queue_then_to_everyone(
    session, participant, moderator
):
    await ChatSettings.objects.acreate(session=session, mode="pre_moderated")
    reader, snapshot = await opened(session)
    assert snapshot["chat.history"]["mode"] == "pre_moderated"
    mod, snapshot = await opened(session, moderator)
    assert snapshot["chat.queue"]["items"] == []
    author, _ = await opened(session, participant)

    await author.send_json_to(
        {"type": "chat.post", "text": "Et le parking ?", "client_id": "c1", "ref": "p"}
    )

    mine = await frames_until(author, "ack")
    notice = next(f for f in mine if f["type"] == "chat.notice")
    assert (notice["status"], notice["message"]["text"]) == ("pending", "Et le parking ?")
    queued = await next_frame(mod)
    assert queued["type"] == "chat.queued"
    assert queued["item"]["held_for"] == "premoderation"
    assert await reader.receive_nothing(timeout=0.3)

    message_id = queued["item"]["message"]["id"]
    await mod.send_json_to({"type": "chat.approve", "id": message_id, "ref": "a"})

    published = await next_frame(reader)
    assert (published["type"], published["message"]["id"]) == ("chat.message", message_id)
    assert any(
        f == {"type": "chat.unqueued", "id": message_id} for f in await frames_until(mod, "ack")
    )
    for socket in (reader, mod, author):
        await socket.disconnect()


async def test_a_moderator_reconnecting_finds_the_queue_in_the_snapshot(
    session, participant, moderator
):
    await ChatSettings.objects.acreate(session=session, mode="pre_moderated")
    await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="En attente", client_id="w"
    )

    mod, snapshot = await opened(session, moderator)

    (item,) = snapshot["chat.queue"]["items"]
    assert (item["status"], item["message"]["text"]) == ("pending", "En attente")
    await mod.disconnect()


async def test_a_timed_out_participant_is_told_at_once_and_cannot_post(
    session, participant, moderator
):
    author, _ = await opened(session, participant)
    mod, _ = await opened(session, moderator)

    await mod.send_json_to(
        {"type": "chat.sanction", "user": participant.pk, "minutes": 10, "ref": "s"}
    )

    told = await next_frame(author)
    assert told["type"] == "chat.restriction"
    assert told["restriction"]["kind"] == "timeout"
    await author.send_json_to({"type": "chat.post", "text": "x", "client_id": "z", "ref": "p"})
    error = await next_frame(author)
    assert (error["type"], error["code"]) == ("error", "restricted")
    again, snapshot = await opened(session, participant)
    assert snapshot["chat.history"]["restriction"]["kind"] == "timeout"
    for socket in (author, mod, again):
        await socket.disconnect()


async def test_reactions_reach_the_room_as_one_frame_per_second(session, participant):
    message = await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="Bravo", client_id="b"
    )
    reader, _ = await opened(session)
    fans = [await database_sync_to_async(factories.make_user)(f"fan{n}") for n in range(5)]
    sockets = [(await opened(session, fan))[0] for fan in fans]

    for socket in sockets:
        await socket.send_json_to({"type": "chat.react", "id": message.pk, "emoji": "👏"})
    await asyncio.sleep(reactions.INTERVAL_SECONDS * 2.5)

    frames = []
    while not await reader.receive_nothing(timeout=0.2):
        frames.append(await next_frame(reader))
    counts = [f["messages"] for f in frames if f["type"] == "chat.reactions"]
    assert 1 <= len(counts) <= 3  # one per second at most, never one per click
    assert counts[-1] == [{"id": message.pk, "reactions": {"👏": 5}}]
    again, snapshot = await opened(session, fans[0])
    (shown,) = snapshot["chat.history"]["messages"]
    assert shown["reactions"] == {"👏": 5}
    assert snapshot["chat.history"]["reacted"] == [{"id": message.pk, "emojis": ["👏"]}]
    for socket in (reader, again, *sockets):
        await socket.disconnect()


async def test_an_unknown_emoji_is_a_bad_frame_and_nothing_is_stored(session, participant):
    message = await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="Bravo", client_id="b"
    )
    socket, _ = await opened(session, participant)

    await socket.send_json_to({"type": "chat.react", "id": message.pk, "emoji": "💩", "ref": "r"})

    error = await next_frame(socket)
    assert (error["type"], error["code"]) == ("error", "bad_frame")
    assert not await Message.objects.filter(reactions__isnull=False).aexists()
    await socket.disconnect()


async def test_the_author_finds_their_waiting_message_after_a_reload(session, participant):
    await ChatSettings.objects.acreate(session=session, mode="pre_moderated")
    await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="Toujours là ?", client_id="w"
    )

    author, snapshot = await opened(session, participant)
    reader, public = await opened(session)

    assert [m["text"] for m in snapshot["chat.history"]["pending"]] == ["Toujours là ?"]
    assert public["chat.history"]["pending"] == []
    await author.disconnect()
    await reader.disconnect()
