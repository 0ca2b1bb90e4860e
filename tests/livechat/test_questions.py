"""Audience questions: asking, one vote each, moderation, and who sees what live."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from assemblies.models import AuditEntry, Role
from assemblies.services import live
from livechat.exceptions import InvalidMessage, LoginRequired, UnknownQuestion
from livechat.models import ChatSettings, Question
from livechat.services import questions
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room
from tests import factories
from tests.assemblies.test_consumers import next_frame, open_socket
from tests.conftest import login_cookie


@pytest.fixture
def moderator(session):
    user = factories.make_user("modo")
    factories.grant(user, Role.Kind.MODERATOR, body=session.body)
    return user


def question_events(session) -> list[dict]:
    rows = RoomEvent.objects.filter(room=session_room(session.pk), type="question.updated")
    return [json.loads(r.frame)["question"] for r in rows.order_by("seq")]


def ask(session, user, text="Quand commencent les travaux ?", client_id="q1"):
    return questions.ask_question(session.pk, user=user, text=text, client_id=client_id)


@pytest.mark.django_db
class TestServices:
    def test_a_question_is_open_stamped_and_announced(self, session, organiser, participant):
        live.start_session(session.pk, user=organiser)

        question = ask(session, participant)

        assert question.status == Question.Status.OPEN
        assert question.agenda_item == session.agenda_items.get(position=1)
        (event,) = question_events(session)
        assert (event["id"], event["status"], event["votes"]) == (question.pk, "open", 0)

    def test_one_vote_each_and_votes_can_be_taken_back(self, session, participant):
        question = ask(session, participant)
        voters = [factories.make_user() for _ in range(3)]

        for voter in voters:
            questions.vote_question(question.pk, user=voter)
        questions.vote_question(question.pk, user=voters[0])  # again: no change
        questions.vote_question(question.pk, user=voters[1], vote=False)

        question.refresh_from_db()
        assert question.votes == 2
        assert [e["votes"] for e in question_events(session)] == [0, 1, 2, 3, 2]

    def test_anonymous_visitors_neither_ask_nor_vote(self, session, participant):
        from django.contrib.auth.models import AnonymousUser

        question = ask(session, participant)
        with pytest.raises(LoginRequired):
            ask(session, AnonymousUser(), client_id="x")
        with pytest.raises(LoginRequired):
            questions.vote_question(question.pk, user=AnonymousUser())

    @pytest.mark.parametrize("text", ["", "  ", "x" * 301])
    def test_empty_or_long_questions_are_refused(self, session, participant, text):
        with pytest.raises(InvalidMessage):
            ask(session, participant, text=text)

    def test_premoderated_questions_wait_unseen_until_approved(
        self, session, participant, moderator
    ):
        ChatSettings.objects.create(session=session, questions_premoderated=True)

        question = ask(session, participant)

        assert question.status == Question.Status.PENDING
        assert question_events(session) == []
        with pytest.raises(UnknownQuestion):
            questions.vote_question(question.pk, user=factories.make_user())
        questions.set_question_status(question.pk, "open", user=moderator)
        assert [e["status"] for e in question_events(session)] == ["open"]

    def test_one_question_on_screen_at_a_time(self, session, participant, moderator):
        first = ask(session, participant, client_id="a")
        second = ask(session, participant, client_id="b")

        questions.set_question_status(first.pk, "on_screen", user=moderator)
        questions.set_question_status(second.pk, "on_screen", user=moderator)

        first.refresh_from_db()
        assert first.status == Question.Status.OPEN
        assert Question.objects.filter(status=Question.Status.ON_SCREEN).get() == second
        assert [(e["id"], e["status"]) for e in question_events(session)][-2:] == [
            (first.pk, "open"),
            (second.pk, "on_screen"),
        ]
        assert AuditEntry.objects.filter(action="question.on_screen").count() == 2

    def test_answered_and_archived(self, session, participant, moderator):
        question = ask(session, participant)

        questions.set_question_status(question.pk, "answered", user=moderator)
        questions.set_question_status(question.pk, "archived", user=moderator)

        assert [e["status"] for e in question_events(session)] == ["open", "answered", "archived"]

    def test_participants_cannot_moderate_questions(self, session, participant):
        question = ask(session, participant)

        with pytest.raises(UnknownQuestion):
            questions.set_question_status(question.pk, "on_screen", user=participant)

    def test_an_unknown_status_is_refused(self, session, participant, moderator):
        question = ask(session, participant)

        with pytest.raises(InvalidMessage):
            questions.set_question_status(question.pk, "deleted", user=moderator)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("room_hub")
class TestSocket:
    async def opening(self, socket, *, moderator: bool = False) -> dict:
        frames = [await next_frame(socket) for _ in range(4 if moderator else 3)]
        assert frames[2]["type"] == "question.list"
        return frames[2]

    async def test_pending_questions_reach_moderators_and_the_author_only(
        self, session, participant, moderator
    ):
        await ChatSettings.objects.acreate(session=session, questions_premoderated=True)
        public = await open_socket(session.pk)
        await self.opening(public)
        mod = await open_socket(session.pk, cookie=await login_cookie(moderator))
        assert (await self.opening(mod, moderator=True))["can_moderate"] is True
        author = await open_socket(session.pk, cookie=await login_cookie(participant))
        assert (await self.opening(author))["premoderated"] is True

        await author.send_json_to(
            {"type": "question.ask", "text": "Et le budget ?", "client_id": "q", "ref": "a"}
        )

        mine = await next_frame(author)
        assert (mine["type"], mine["question"]["status"], mine["seq"]) == (
            "question.updated",
            "pending",
            0,
        )
        seen = await next_frame(mod)
        assert (seen["type"], seen["question"]["text"]) == ("question.updated", "Et le budget ?")
        assert await public.receive_nothing(timeout=0.3)

        await mod.send_json_to(
            {"type": "question.set", "id": seen["question"]["id"], "status": "open"}
        )
        approved = await next_frame(public)
        assert (approved["question"]["status"], approved["seq"]) == ("open", 1)
        for socket in (public, mod, author):
            await socket.disconnect()

    async def test_votes_are_counted_live_and_remembered(self, session, participant):
        question = await database_sync_to_async(ask)(session, participant)
        voter = await database_sync_to_async(factories.make_user)()
        cookie = await login_cookie(voter)
        socket = await open_socket(session.pk, cookie=cookie)
        await self.opening(socket)

        await socket.send_json_to({"type": "question.vote", "id": question.pk, "ref": "v"})

        # The ack and the event may come in either order (the event may cross Redis).
        frames = [await next_frame(socket) for _ in range(2)]
        assert {"type": "ack", "ref": "v"} in frames
        (updated,) = [f for f in frames if f["type"] == "question.updated"]
        assert updated["question"]["votes"] == 1
        again = await open_socket(session.pk, cookie=cookie)
        listing = [await next_frame(again) for _ in range(3)][2]
        assert listing["voted"] == [question.pk]
        assert listing["questions"][0]["votes"] == 1
        await socket.disconnect()
        await again.disconnect()


@pytest.mark.django_db
def test_a_rejected_question_never_reaches_the_room(session, participant, moderator):
    ChatSettings.objects.create(session=session, questions_premoderated=True)
    question = ask(session, participant, text="Texte à ne pas montrer")

    questions.set_question_status(question.pk, "archived", user=moderator)

    assert question_events(session) == []
    assert not RoomEvent.objects.filter(frame__contains="Texte à ne pas montrer").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("room_hub")
async def test_a_moderator_resuming_gets_a_snapshot_with_pending_questions(
    session, participant, moderator
):
    await ChatSettings.objects.acreate(session=session, questions_premoderated=True)
    await database_sync_to_async(ask)(session, participant, text="En attente")

    socket = await open_socket(session.pk, cookie=await login_cookie(moderator), since=0)

    frames = [await next_frame(socket) for _ in range(3)]
    assert frames[0]["type"] == "session.state"
    assert [q["text"] for q in frames[2]["questions"]] == ["En attente"]
    await socket.disconnect()
