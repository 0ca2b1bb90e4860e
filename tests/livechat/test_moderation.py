"""Moderators hide and restore messages and set slow mode; everything is logged."""

from __future__ import annotations

import json

import pytest

from assemblies.models import AuditEntry, Role
from livechat.exceptions import InvalidMessage, NotAllowed, UnknownMessage
from livechat.models import ChatSettings, Message
from livechat.services import messages, moderation
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(session):
    user = factories.make_user("modo")
    factories.grant(user, Role.Kind.MODERATOR, body=session.body)
    return user


@pytest.fixture
def message(session, participant):
    return messages.post_message(session.pk, user=participant, text="Hors sujet", client_id="m1")


def last_event(session) -> dict:
    row = RoomEvent.objects.filter(room=session_room(session.pk)).order_by("-seq").first()
    return json.loads(row.frame)


def test_a_moderator_hides_a_message_with_a_reason(session, moderator, message):
    moderation.hide_message(message.pk, user=moderator, reason="hors sujet")

    message.refresh_from_db()
    assert message.status == Message.Status.HIDDEN
    assert last_event(session) == {
        "type": "chat.removed",
        "seq": 2,
        "id": message.pk,
        "status": "hidden",
    }
    entry = AuditEntry.objects.get(action="chat.hide")
    assert entry.actor == moderator
    assert entry.data == {"message": message.pk, "reason": "hors sujet"}


def test_restoring_sends_the_message_back(session, moderator, message):
    moderation.hide_message(message.pk, user=moderator)
    moderation.unhide_message(message.pk, user=moderator)

    event = last_event(session)
    assert event["type"] == "chat.message"
    assert event["message"]["id"] == message.pk
    assert AuditEntry.objects.filter(action="chat.unhide").count() == 1


def test_hiding_twice_logs_once(session, moderator, message):
    moderation.hide_message(message.pk, user=moderator)
    moderation.hide_message(message.pk, user=moderator)

    assert AuditEntry.objects.filter(action="chat.hide").count() == 1


@pytest.mark.parametrize("role", [None, Role.Kind.NOTE_TAKER])
def test_participants_cannot_moderate(session, message, role):
    user = factories.make_user()
    if role:
        factories.grant(user, role, body=session.body)

    with pytest.raises(UnknownMessage):
        moderation.hide_message(message.pk, user=user)
    with pytest.raises(NotAllowed):
        moderation.set_slow_mode(session.pk, 10, user=user)
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE


def test_a_moderator_of_another_body_cannot_hide(message):
    stranger = factories.make_user()
    factories.grant(stranger, Role.Kind.MODERATOR, body=factories.make_body())

    with pytest.raises(UnknownMessage):
        moderation.hide_message(message.pk, user=stranger)


def test_slow_mode_is_announced_and_logged(session, moderator):
    moderation.set_slow_mode(session.pk, 30, user=moderator)

    assert ChatSettings.objects.get(session=session).slow_mode_seconds == 30
    assert last_event(session) == {"type": "chat.settings", "seq": 1, "slow_mode_seconds": 30}
    assert AuditEntry.objects.get(action="chat.slow_mode").data == {"seconds": 30}


@pytest.mark.parametrize("seconds", [-1, 3601])
def test_slow_mode_out_of_range_is_refused(session, moderator, seconds):
    with pytest.raises(InvalidMessage):
        moderation.set_slow_mode(session.pk, seconds, user=moderator)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("room_hub")
async def test_the_author_alone_is_told_why_a_message_was_hidden(session, participant, moderator):
    from channels.db import database_sync_to_async

    from tests.assemblies.test_consumers import next_frame, open_socket
    from tests.conftest import login_cookie

    message = await database_sync_to_async(messages.post_message)(
        session.pk, user=participant, text="Hors sujet", client_id="n1"
    )
    author = await open_socket(session.pk, cookie=await login_cookie(participant))
    reader = await open_socket(session.pk)
    for socket in (author, reader):
        [await next_frame(socket) for _ in range(3)]

    await database_sync_to_async(moderation.hide_message)(
        message.pk, user=moderator, reason="hors sujet"
    )

    removed = await next_frame(reader)
    assert removed["type"] == "chat.removed"
    assert await reader.receive_nothing(timeout=0.3)
    frames = [await next_frame(author) for _ in range(2)]
    assert {
        "type": "chat.notice",
        "id": message.pk,
        "status": "hidden",
        "reason": "hors sujet",
    } in frames
    await author.disconnect()
    await reader.disconnect()
