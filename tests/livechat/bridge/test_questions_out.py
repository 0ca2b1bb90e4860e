"""Questions go out under the event's hashtag: a moderator sends an approved one,
a participant's "also post to #tag" goes out once a moderator approved it."""

from __future__ import annotations

import itertools

import pytest

from assemblies.models import AuditEntry
from livechat.bridge import secrets
from livechat.exceptions import BridgeOff, InvalidMessage, UnknownQuestion
from livechat.models import ChatSettings, Network, OutboundPost
from livechat.services import bridge as services
from livechat.services import questions
from plenary.realtime.rooms import session_moderators_room
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def posting(bridge):
    """The bridge can post on Mastodon (no network is reached here)."""
    bridge.mastodon_instance = "http://127.0.0.1:1"
    bridge.mastodon_token = secrets.seal("token")
    bridge.save()
    return bridge


@pytest.fixture
def habitant(db):
    return factories.make_user("habitant")


_client_ids = itertools.count(1)


def ask(session, user, text="Quand commencent les travaux ?", **kwargs):
    return questions.ask_question(
        session.pk, user=user, text=text, client_id=f"q-{next(_client_ids)}", **kwargs
    )


def test_a_moderator_sends_an_open_question_out_once(posting, event_session, organiser, habitant):
    question = ask(event_session, habitant)
    assert services.share_question(question.pk, user=organiser) == ["mastodon"]
    assert services.share_question(question.pk, user=organiser) == []
    copy = OutboundPost.objects.get()
    assert (copy.question_id, copy.message_id) == (question.pk, None)
    assert "Habitant" in copy.text
    assert "Quand commencent les travaux ?" in copy.text
    assert copy.text.endswith(" #AssMedNum")
    assert AuditEntry.objects.filter(action="question.share").count() == 1
    assert services.pending_outbound(posting.event_id, Network.MASTODON) == [copy]


def test_only_moderators_send_questions_out_and_only_those_before_the_room(
    posting, event_session, organiser, habitant
):
    ChatSettings.objects.create(session=event_session, questions_premoderated=True)
    question = ask(event_session, habitant)
    with pytest.raises(UnknownQuestion):
        services.share_question(question.pk, user=habitant)
    with pytest.raises(InvalidMessage):  # still waiting for approval
        services.share_question(question.pk, user=organiser)
    questions.set_question_status(question.pk, "archived", user=organiser)
    with pytest.raises(InvalidMessage):
        services.share_question(question.pk, user=organiser)
    assert not OutboundPost.objects.exists()


def test_without_an_account_to_post_with_nothing_goes_out(bridge, event_session, organiser):
    question = ask(event_session, organiser)
    with pytest.raises(BridgeOff):
        services.share_question(question.pk, user=organiser)


def test_a_premoderated_question_asked_to_go_out_goes_once_approved(
    posting, event_session, organiser, habitant, published
):
    ChatSettings.objects.create(session=event_session, questions_premoderated=True)
    question = ask(event_session, habitant, share=True)
    assert question.share_requested
    [frame] = [f for r, f in published if r == session_moderators_room(event_session.pk)]
    assert frame["question"]["share_requested"] is True  # the moderator knows, approving
    assert services.pending_outbound(posting.event_id, Network.MASTODON) == []
    questions.set_question_status(question.pk, "open", user=organiser)
    [copy] = services.pending_outbound(posting.event_id, Network.MASTODON)
    assert copy.question_id == question.pk
    # Queued once, however often the runner asks.
    assert services.pending_outbound(posting.event_id, Network.MASTODON) == [copy]


def test_an_open_question_asked_to_go_out_waits_for_a_moderator_to_send_it(
    posting, event_session, organiser, habitant
):
    question = ask(event_session, habitant, share=True)
    assert question.status == "open"
    questions.set_question_status(question.pk, "on_screen", user=organiser)
    assert services.pending_outbound(posting.event_id, Network.MASTODON) == []
    services.share_question(question.pk, user=organiser)
    assert len(services.pending_outbound(posting.event_id, Network.MASTODON)) == 1


def test_a_long_question_is_cut_to_the_networks_limit_with_its_hashtag(
    posting, event_session, organiser
):
    question = ask(event_session, organiser, text="é" * 300)
    whole = services.question_text(question, ["AssMedNum"], 500)  # Mastodon's limit
    assert whole.endswith("é" * 300 + " #AssMedNum")
    cut = services.question_text(question, ["AssMedNum"], 300)  # Bluesky's
    assert len(cut) == 300
    assert cut.endswith("é… #AssMedNum")


def test_our_question_coming_back_on_the_stream_is_not_imported(posting, event_session, organiser):
    from tests.livechat.bridge.conftest import make_post

    question = ask(event_session, organiser)
    services.share_question(question.pk, user=organiser)
    copy = OutboundPost.objects.get()
    echo = make_post(text=copy.text, author_id="42", uri="https://m.example/s/9")
    assert services.import_post(posting.event_id, echo, own_id="42") is None
    services.mark_sent(copy.pk, uri="https://m.example/s/10")
    assert services.import_post(posting.event_id, make_post(uri="https://m.example/s/10")) is None
