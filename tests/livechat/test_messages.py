"""Posting and deleting messages: checks, limits across processes, exact events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from assemblies.models import Role, Session
from assemblies.services import live
from livechat.exceptions import (
    ChatClosed,
    InvalidMessage,
    LoginRequired,
    RateLimited,
    UnknownMessage,
)
from livechat.models import Message
from livechat.services import messages, moderation
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room
from tests import factories

pytestmark = pytest.mark.django_db


def chat_events(session: Session) -> list[dict]:
    rows = RoomEvent.objects.filter(room=session_room(session.pk), type__startswith="chat.")
    return [json.loads(row.frame) for row in rows.order_by("seq")]


def post(session, user, text="Bonjour à tous", client_id=None, **kw) -> Message:
    client_id = client_id or f"c{Message.objects.count()}-{timezone.now().timestamp()}"
    return messages.post_message(session.pk, user=user, text=text, client_id=client_id, **kw)


def test_a_message_is_stored_stamped_and_sent_to_the_room(session, organiser, participant):
    live.start_session(session.pk, user=organiser)

    message = post(session, participant, "Bonjour #Cachan, voir https://cachan.fr")

    assert message.agenda_item == session.agenda_items.get(position=1)
    (event,) = chat_events(session)
    assert event["type"] == "chat.message"
    assert event["seq"] == 3
    sent = event["message"]
    assert sent["id"] == message.pk
    assert sent["author"] == {"id": participant.pk, "name": "Habitant", "badge": ""}
    assert sent["agenda_item"] == message.agenda_item_id
    assert [t["kind"] for t in sent["tokens"]] == ["text", "hashtag", "text", "link"]


def test_organisers_and_moderators_carry_badges(session, organiser):
    moderator = factories.make_user("modo")
    factories.grant(moderator, Role.Kind.MODERATOR, body=session.body)

    post(session, organiser)
    post(session, moderator)

    badges = [e["message"]["author"]["badge"] for e in chat_events(session)]
    assert badges == ["organiser", "moderator"]


def test_a_retried_post_is_stored_once(session, participant):
    first = post(session, participant, client_id="abc")
    again = post(session, participant, client_id="abc")

    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert len(chat_events(session)) == 1


def test_two_people_may_use_the_same_client_id(session, participant):
    other = factories.make_user()

    post(session, participant, client_id="same")
    post(session, other, client_id="same")

    assert Message.objects.count() == 2


def test_a_reply_quotes_the_message(session, participant):
    original = post(session, participant, "Quand a lieu la prochaine réunion ?")
    answer = post(session, factories.make_user("claire"), "Le 12.", reply_to=original.pk)

    quote = chat_events(session)[-1]["message"]["reply_to"]
    assert answer.reply_to == original
    assert quote == {"id": original.pk, "author": "Habitant", "excerpt": original.text}


def test_a_reply_to_a_hidden_or_foreign_message_is_refused(session, organiser, participant):
    hidden = post(session, participant)
    moderation.hide_message(hidden.pk, user=organiser)
    foreign = post(factories.make_session(), participant)

    for target in (hidden.pk, foreign.pk, 999999):
        with pytest.raises(UnknownMessage):
            post(session, participant, reply_to=target)


@pytest.mark.parametrize("text", ["", "   \n ", "\x00\u202e", "x" * 501])
def test_empty_or_too_long_text_is_refused(session, participant, text):
    with pytest.raises(InvalidMessage):
        post(session, participant, text)
    assert not Message.objects.exists()


def test_500_characters_are_fine(session, participant):
    assert len(post(session, participant, "é" * 500).text) == 500


def test_anonymous_visitors_cannot_post(session):
    with pytest.raises(LoginRequired):
        post(session, AnonymousUser())


@pytest.mark.parametrize("status", [Session.Status.ENDED, Session.Status.CANCELLED])
def test_the_chat_closes_with_the_session(session, participant, status):
    session.status = status
    session.save()

    with pytest.raises(ChatClosed):
        post(session, participant)


def test_flooding_is_refused(session, participant):
    for n in range(messages.FLOOD_MESSAGES):
        post(session, participant, f"message {n}")

    with pytest.raises(RateLimited):
        post(session, participant, "encore")


def test_slow_mode_spaces_messages_but_not_for_moderators(session, organiser, participant):
    moderation.set_slow_mode(session.pk, 30, user=organiser)
    post(session, participant)

    with pytest.raises(RateLimited) as refused:
        post(session, participant, "trop tôt")
    assert "30" in refused.value.message or "29" in refused.value.message
    post(session, organiser, "un")
    post(session, organiser, "deux")
    Message.objects.filter(author=participant).update(
        created_at=timezone.now() - timedelta(seconds=31)
    )
    post(session, participant, "maintenant oui")


def test_an_author_deletes_their_message_for_everyone(session, participant):
    message = post(session, participant)

    messages.delete_message(message.pk, user=participant)

    message.refresh_from_db()
    assert message.status == Message.Status.DELETED
    assert message.text == ""
    assert chat_events(session)[-1] == {
        "type": "chat.removed",
        "seq": 2,
        "id": message.pk,
        "status": "deleted",
    }


def test_nobody_deletes_someone_elses_message(session, participant):
    message = post(session, participant)

    with pytest.raises(UnknownMessage):
        messages.delete_message(message.pk, user=factories.make_user())
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE


def test_a_client_id_from_another_session_is_refused(session, participant):
    post(factories.make_session(), participant, client_id="reused")

    with pytest.raises(InvalidMessage):
        post(session, participant, client_id="reused")
    assert not Message.objects.filter(session=session).exists()


@pytest.mark.parametrize("client_id", ["a\x00b", "x" * 65, "espace dedans", "é"])
def test_a_malformed_client_id_is_refused_clearly(session, participant, client_id):
    with pytest.raises(InvalidMessage):
        post(session, participant, client_id=client_id)
    assert not Message.objects.exists()


def test_a_hide_reason_loses_its_control_characters(session, organiser, participant):
    message = post(session, participant)

    moderation.hide_message(message.pk, user=organiser, reason="abus\x00\u202e ")

    message.refresh_from_db()
    assert message.reason == "abus"


def test_posting_reads_and_writes_a_fixed_number_of_times(
    session, participant, django_assert_max_num_queries
):
    messages.post_message(session.pk, user=participant, text="Premier", client_id="p0")

    # Who posts, the chat's rules, the poster's standing and pace, the row, the
    # room's event: the count is what one post costs on the event loop's thread.
    with django_assert_max_num_queries(14):
        messages.post_message(session.pk, user=participant, text="Deuxième", client_id="p1")
