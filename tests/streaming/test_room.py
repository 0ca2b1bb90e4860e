"""The room's window is the server's rule: pre-opening, the grace period, the push at its end.

A session with a broadcast opens its room ``preopen`` minutes before the start (at
once when the broadcast goes live) and closes it ``grace`` minutes after the
session ends; posting, asking, voting and reacting are refused outside, and open
pages are told when it opens or closes.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from assemblies.models import Session
from assemblies.room_window import room_window, sessions
from assemblies.services import live, room
from livechat.exceptions import ChatClosed
from livechat.models import Message, MessageReaction, QuestionVote
from livechat.services import messages, questions, reactions
from streaming.models import Stream
from streaming.services import broadcast
from tests import factories
from tests.conftest import login_cookie
from tests.streaming.conftest import room_events
from tests.streaming.test_consumers import frame_of, open_socket

_posts = itertools.count()


def ended(minutes_ago: float, *, grace: int = 30, seconds_ago: float = 0) -> Session:
    """A session with a broadcast that ended ``minutes_ago`` (its room's grace: ``grace``)."""
    now = timezone.now()
    end = now - timedelta(minutes=minutes_ago, seconds=seconds_ago)
    session = factories.make_session(
        starts_at=end - timedelta(hours=2),
        ends_at=end,
        status=Session.Status.ENDED,
        started_at=end - timedelta(hours=2),
        ended_at=end,
    )
    factories.make_stream(session, grace_minutes=grace, status=Stream.Status.ENDED)
    return session


def post(session: Session, user, text: str = "Merci à tous") -> Message:
    client_id = f"c-{next(_posts)}"
    return messages.post_message(session.pk, user=user, text=text, client_id=client_id)


@pytest.mark.django_db
class TestTheRule:
    def test_a_post_during_the_grace_period_is_accepted(self, participant):
        session = ended(minutes_ago=29)

        message = post(session, participant)

        assert message.status == Message.Status.VISIBLE

    def test_a_post_after_the_grace_period_is_refused(self, participant):
        session = ended(minutes_ago=31)

        with pytest.raises(ChatClosed) as refused:
            post(session, participant)

        assert refused.value.code == "chat_closed"
        assert not Message.objects.filter(session=session).exists()

    def test_asking_voting_and_reacting_close_with_the_room(self, participant):
        session = ended(minutes_ago=10)
        other = factories.make_user()
        message = post(session, other)
        asked = questions.ask_question(session.pk, user=other, text="Et après ?", client_id="q")
        session.ended_at -= timedelta(minutes=25)  # now 35 minutes ago
        session.save(update_fields=["ended_at"])

        with pytest.raises(ChatClosed):
            questions.ask_question(session.pk, user=participant, text="Encore ?", client_id="q2")
        with pytest.raises(ChatClosed):
            questions.vote_question(asked.pk, user=participant)
        with pytest.raises(ChatClosed):
            reactions.react_to_message(message.pk, user=participant, emoji="👏")
        assert not QuestionVote.objects.exists()
        assert not MessageReaction.objects.exists()

    def test_before_the_pre_opening_the_room_says_when_it_opens(self, participant):
        starts = timezone.now() + timedelta(hours=2)
        session = factories.make_session(starts_at=starts, ends_at=starts + timedelta(hours=1))
        factories.make_stream(session, preopen_minutes=15)

        with pytest.raises(ChatClosed) as refused:
            post(session, participant)
        opens = timezone.localtime(starts - timedelta(minutes=15)).strftime("%H:%M")
        assert opens in refused.value.message

        organiser = factories.make_organiser(session)
        broadcast.start_broadcast(session.pk, user=organiser)  # going live opens it early
        assert post(session, participant, "On est là").status == Message.Status.VISIBLE

    def test_a_session_without_a_broadcast_keeps_its_own_rule(self, participant):
        starts = timezone.now() + timedelta(days=3)
        session = factories.make_session(starts_at=starts, ends_at=starts + timedelta(hours=1))
        assert post(session, participant).status == Message.Status.VISIBLE  # days ahead
        organiser = factories.make_organiser(session)
        live.start_session(session.pk, user=organiser)
        live.end_session(session.pk, user=organiser)

        with pytest.raises(ChatClosed):
            post(session, participant, "Trop tard")

    def test_the_post_costs_no_statement_for_the_room_hours(
        self, participant, django_assert_max_num_queries
    ):
        session = ended(minutes_ago=5)
        post(session, participant, "first")
        with django_assert_max_num_queries(14):
            post(session, participant, "second")


@pytest.mark.django_db
class TestTheEvents:
    def test_ending_a_broadcast_session_keeps_the_room_open_for_the_grace_period(self):
        session = factories.make_session()
        factories.make_stream(session)
        organiser = factories.make_organiser(session)
        live.start_session(session.pk, user=organiser)

        live.end_session(session.pk, user=organiser)

        assert [e["type"] for e in room_events(session)] == [
            "session.status",
            "agenda.current",
            "session.status",
        ]
        session.refresh_from_db()
        window = room_window(sessions().get(pk=session.pk))
        assert window.open
        assert window.closes_at == session.ended_at + timedelta(minutes=30)
        assert window.changes_at == window.closes_at

    def test_a_broadcast_going_live_before_the_pre_opening_opens_the_room(self):
        starts = timezone.now() + timedelta(hours=2)
        session = factories.make_session(starts_at=starts, ends_at=starts + timedelta(hours=1))
        factories.make_stream(session, preopen_minutes=15)
        organiser = factories.make_organiser(session)

        broadcast.start_broadcast(session.pk, user=organiser)

        events = room_events(session)
        assert [e["type"] for e in events] == ["stream.status", "room.status"]
        opens_at = (starts - timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
        assert events[1] == {
            "type": "room.status",
            "seq": 2,
            "open": True,
            "opens_at": opens_at,
            "closes_at": None,
        }

    def test_the_end_of_the_grace_period_is_told_once(self):
        session = ended(minutes_ago=31)
        due = session.ended_at + timedelta(minutes=30)

        assert room.update_room(session.pk, due=due) is None
        assert room.update_room(session.pk, due=due) is None  # another process, later

        events = room_events(session, "room.status")
        assert [(e["open"], e["closes_at"] is not None) for e in events] == [(False, True)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("room_hub")
async def test_open_pages_are_told_when_the_grace_period_ends_and_posts_are_refused(participant):
    session = await database_sync_to_async(ended)(minutes_ago=29, seconds_ago=58)
    socket = await open_socket(session.pk, await login_cookie(participant))
    state = await frame_of(socket, "session.state")
    assert state["room"]["open"] is True
    await socket.send_json_to(
        {"type": "chat.post", "text": "Juste à temps", "client_id": "a1", "ref": "in"}
    )
    assert (await frame_of(socket, "ack"))["ref"] == "in"

    closed = await frame_of(socket, "room.status")  # about two seconds later

    assert closed["open"] is False
    assert closed["seq"] > 0
    await socket.send_json_to(
        {"type": "chat.post", "text": "Trop tard", "client_id": "a2", "ref": "late"}
    )
    error = await frame_of(socket, "error")
    assert (error["code"], error["ref"]) == ("chat_closed", "late")
    texts = await database_sync_to_async(
        lambda: list(Message.objects.filter(session=session).values_list("text", flat=True))
    )()
    assert texts == ["Juste à temps"]
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("room_hub")
async def test_a_page_opened_after_the_grace_period_finds_the_room_closed():
    session = await database_sync_to_async(ended)(minutes_ago=45)
    socket = await open_socket(session.pk)

    state = await frame_of(socket, "session.state")

    assert state["room"]["open"] is False
    assert json.dumps(state["room"]["closes_at"]).startswith('"')
    await socket.disconnect()
