"""Moderators keep the chat civil: the review queue, hiding, reports, sanctions,
blocked words, settings; every action is logged and the room sees exactly what it
should (room events), the author and the moderators only what is meant for them
(ephemeral frames)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assemblies.models import AuditEntry, Role
from livechat.exceptions import (
    InvalidMessage,
    LoginRequired,
    NewAccount,
    NotAllowed,
    RateLimited,
    Restricted,
    UnknownMessage,
)
from livechat.models import ChatSettings, Message
from livechat.services import messages, moderation, sanctions
from plenary.realtime import bus
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_moderators_room, session_room, session_user_room
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


@pytest.fixture
def published(monkeypatch, transactional_db):
    """Every frame the bus publishes (after commit: the test's transactions really
    commit), as ``(room, decoded frame)``. The real bus still carries them: this
    only listens."""
    sent: list[tuple[str, dict]] = []
    real = bus.get_bus()
    original = real.publish

    def listen(room: str, seq: int, frame: str) -> None:
        sent.append((room, json.loads(frame)))
        original(room, seq, frame)

    monkeypatch.setattr(real, "publish", listen)
    return sent


def room_events(session, after: int = 0) -> list[dict]:
    rows = RoomEvent.objects.filter(room=session_room(session.pk), seq__gt=after).order_by("seq")
    return [json.loads(row.frame) for row in rows]


def configure(session, moderator, **changes):
    rules = {
        "mode": "open",
        "slow_mode_seconds": 0,
        "new_account_minutes": 0,
        "report_threshold": 3,
        "blocked_words": "",
        "starter_blocklists": True,
        "questions_premoderated": False,
        **changes,
    }
    return moderation.configure_chat(session.pk, user=moderator, **rules)


def frames_to(published, room: str) -> list[dict]:
    return [frame for to, frame in published if to == room]


class TestHiding:
    def test_a_moderator_hides_a_message_with_a_ground_and_a_reason(
        self, session, moderator, message
    ):
        moderation.hide_message(message.pk, user=moderator, ground="off_topic", reason="hors sujet")

        message.refresh_from_db()
        assert message.status == Message.Status.HIDDEN
        assert room_events(session, after=1) == [
            {"type": "chat.removed", "seq": 2, "id": message.pk, "status": "hidden"},
            {
                "type": "chat.transparency",
                "seq": 3,
                "transparency": {"removed": 1, "grounds": {"off_topic": 1}},
            },
        ]
        entry = AuditEntry.objects.get(action="chat.hide")
        assert entry.actor == moderator
        assert entry.data == {"message": message.pk, "ground": "off_topic", "reason": "hors sujet"}

    def test_the_author_alone_is_told_why(self, session, moderator, message, published):
        moderation.hide_message(message.pk, user=moderator, ground="abuse", reason="insulte")

        notice = {"type": "chat.notice", "id": message.pk, "status": "hidden", "reason": "insulte"}
        assert frames_to(published, session_user_room(session.pk, message.author_id)) == [
            notice | {"message": None}
        ]
        notices = [room for room, frame in published if frame["type"] == "chat.notice"]
        assert notices == [session_user_room(session.pk, message.author_id)]

    def test_restoring_sends_the_message_back_and_updates_the_count(
        self, session, moderator, message
    ):
        moderation.hide_message(message.pk, user=moderator)
        moderation.unhide_message(message.pk, user=moderator)

        restored, count = room_events(session, after=3)
        assert restored["type"] == "chat.message"
        assert restored["message"]["id"] == message.pk
        assert count["transparency"] == {"removed": 0, "grounds": {}}
        assert AuditEntry.objects.filter(action="chat.unhide").count() == 1

    def test_hiding_twice_logs_once(self, moderator, message):
        moderation.hide_message(message.pk, user=moderator)
        moderation.hide_message(message.pk, user=moderator)

        assert AuditEntry.objects.filter(action="chat.hide").count() == 1

    def test_an_unknown_ground_is_refused_and_nothing_changes(self, moderator, message):
        with pytest.raises(InvalidMessage):
            moderation.hide_message(message.pk, user=moderator, ground="nope")

        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE

    @pytest.mark.parametrize("role", [None, Role.Kind.NOTE_TAKER])
    def test_participants_cannot_moderate(self, session, message, role):
        user = factories.make_user()
        if role:
            factories.grant(user, role, body=session.body)

        for action in (moderation.hide_message, moderation.approve_message,
                       moderation.reject_message):  # fmt: skip
            with pytest.raises(UnknownMessage):
                action(message.pk, user=user)
        with pytest.raises(NotAllowed):
            moderation.set_slow_mode(session.pk, 10, user=user)
        with pytest.raises(NotAllowed):
            sanctions.sanction_user(session.pk, message.author_id, user=user)
        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE

    def test_a_moderator_of_another_body_cannot_hide(self, message):
        stranger = factories.make_user()
        factories.grant(stranger, Role.Kind.MODERATOR, body=factories.make_body())

        with pytest.raises(UnknownMessage):
            moderation.hide_message(message.pk, user=stranger)


class TestPreModeration:
    def test_a_post_waits_in_the_queue_and_only_its_author_sees_it(
        self, session, moderator, participant, published
    ):
        configure(session, moderator, mode="pre_moderated")
        settings_seq = room_events(session)[-1]["seq"]

        message = messages.post_message(session.pk, user=participant, text="Bonjour", client_id="a")

        assert message.status == Message.Status.PENDING
        assert message.held_for == Message.Held.PREMODERATION
        assert room_events(session, after=settings_seq) == []
        (notice,) = frames_to(published, session_user_room(session.pk, participant.pk))
        assert (notice["type"], notice["status"]) == ("chat.notice", "pending")
        assert notice["message"]["text"] == "Bonjour"
        (queued,) = frames_to(published, session_moderators_room(session.pk))
        assert queued["type"] == "chat.queued"
        assert queued["item"]["held_for"] == "premoderation"
        assert queued["item"]["message"]["text"] == "Bonjour"

    def test_approving_publishes_it_and_empties_the_queue(
        self, session, moderator, participant, published
    ):
        configure(session, moderator, mode="pre_moderated")
        message = messages.post_message(session.pk, user=participant, text="Bonjour", client_id="a")
        seq = room_events(session)[-1]["seq"]

        moderation.approve_message(message.pk, user=moderator)

        (event,) = room_events(session, after=seq)
        assert event["type"] == "chat.message"
        assert (event["message"]["text"], event["message"]["edited"]) == ("Bonjour", False)
        assert frames_to(published, session_moderators_room(session.pk))[-1] == {
            "type": "chat.unqueued",
            "id": message.pk,
        }

    def test_edit_then_approve_keeps_the_original_in_the_log(self, session, moderator, participant):
        configure(session, moderator, mode="pre_moderated")
        message = messages.post_message(
            session.pk, user=participant, text="Mon tel: 06 12 34 56 78", client_id="a"
        )

        moderation.approve_message(message.pk, user=moderator, text="Mon tel: [retiré]")

        event = room_events(session)[-1]
        assert event["message"]["text"] == "Mon tel: [retiré]"
        assert event["message"]["edited"] is True
        entry = AuditEntry.objects.get(action="chat.approve")
        assert entry.data["original"] == "Mon tel: 06 12 34 56 78"

    def test_an_empty_edit_is_refused_and_the_message_keeps_waiting(
        self, session, moderator, participant
    ):
        configure(session, moderator, mode="pre_moderated")
        message = messages.post_message(session.pk, user=participant, text="Bonjour", client_id="a")

        with pytest.raises(InvalidMessage):
            moderation.approve_message(message.pk, user=moderator, text="   ")

        message.refresh_from_db()
        assert (message.status, message.text) == (Message.Status.PENDING, "Bonjour")

    def test_a_rejected_message_never_reaches_the_room_but_is_counted(
        self, session, moderator, participant, published
    ):
        configure(session, moderator, mode="pre_moderated")
        message = messages.post_message(
            session.pk, user=participant, text="Achetez mes cryptos", client_id="a"
        )
        seq = room_events(session)[-1]["seq"]

        moderation.reject_message(message.pk, user=moderator, ground="spam", reason="publicité")

        assert room_events(session, after=seq) == [
            {
                "type": "chat.transparency",
                "seq": seq + 1,
                "transparency": {"removed": 1, "grounds": {"spam": 1}},
            }
        ]
        assert not RoomEvent.objects.filter(frame__contains="cryptos").exists()
        author = frames_to(published, session_user_room(session.pk, participant.pk))
        assert author[-1] == {
            "type": "chat.notice",
            "id": message.pk,
            "status": "rejected",
            "reason": "publicité",
            "message": None,
        }

    def test_moderators_posts_skip_the_queue(self, session, moderator):
        configure(session, moderator, mode="pre_moderated")

        message = messages.post_message(session.pk, user=moderator, text="Bienvenue", client_id="a")

        assert message.status == Message.Status.VISIBLE
        assert room_events(session)[-1]["type"] == "chat.message"


class TestPostModeration:
    def test_a_post_reaches_the_room_and_the_queue(
        self, session, moderator, participant, published
    ):
        configure(session, moderator, mode="post_moderated")

        message = messages.post_message(session.pk, user=participant, text="Bonjour", client_id="a")

        assert room_events(session)[-1]["message"]["id"] == message.pk
        (queued,) = frames_to(published, session_moderators_room(session.pk))
        assert (queued["item"]["status"], queued["item"]["held_for"]) == ("visible", "")

    def test_marking_it_reviewed_takes_it_out_of_the_queue_only(
        self, session, moderator, participant, published
    ):
        configure(session, moderator, mode="post_moderated")
        message = messages.post_message(session.pk, user=participant, text="Bonjour", client_id="a")
        seq = room_events(session)[-1]["seq"]

        moderation.approve_message(message.pk, user=moderator)

        assert room_events(session, after=seq) == []
        assert frames_to(published, session_moderators_room(session.pk))[-1]["type"] == (
            "chat.unqueued"
        )
        message.refresh_from_db()
        assert not message.needs_review


class TestBlockedWords:
    def test_a_starter_list_word_holds_the_message_for_review(
        self, session, participant, published
    ):
        message = messages.post_message(
            session.pk, user=participant, text="Quel CONNARD ce voisin", client_id="a"
        )

        assert (message.status, message.held_for) == ("pending", "blocked_words")
        assert room_events(session) == []
        (queued,) = frames_to(published, session_moderators_room(session.pk))
        assert queued["item"]["matched"] == ["connard"]

    def test_the_session_list_matches_phrases_across_accents_and_case(
        self, session, moderator, participant
    ):
        configure(session, moderator, blocked_words="rue Émile Zola\n# un commentaire\n")

        held = messages.post_message(
            session.pk, user=participant, text="Le chantier RUE emile  zola ?", client_id="a"
        )
        passed = messages.post_message(
            session.pk, user=participant, text="Le chantier rue Zola ?", client_id="b"
        )

        assert held.status == Message.Status.PENDING
        assert passed.status == Message.Status.VISIBLE

    def test_the_starter_lists_can_be_turned_off(self, session, moderator, participant):
        configure(session, moderator, starter_blocklists=False)

        message = messages.post_message(
            session.pk, user=participant, text="Quel connard", client_id="a"
        )

        assert message.status == Message.Status.VISIBLE

    def test_a_word_inside_another_does_not_match(self, session, participant):
        message = messages.post_message(
            session.pk, user=participant, text="Une consultation publique", client_id="a"
        )

        assert message.status == Message.Status.VISIBLE


class TestReports:
    def reporters(self, n):
        return [factories.make_user(f"voisin{i}") for i in range(n)]

    def test_a_report_puts_the_message_in_the_queue_with_its_count(
        self, session, message, published
    ):
        (reporter,) = self.reporters(1)

        moderation.report_message(message.pk, user=reporter, ground="abuse")

        (queued,) = frames_to(published, session_moderators_room(session.pk))
        assert (queued["item"]["status"], queued["item"]["reports"]) == ("visible", 1)
        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE

    def test_at_the_threshold_the_message_leaves_the_room_until_reviewed(
        self, session, message, published
    ):
        for reporter in self.reporters(3):
            moderation.report_message(message.pk, user=reporter)

        message.refresh_from_db()
        assert (message.status, message.held_for) == ("pending", "reports")
        assert room_events(session, after=1) == [
            {"type": "chat.removed", "seq": 2, "id": message.pk, "status": "pending"}
        ]
        author = frames_to(published, session_user_room(session.pk, message.author_id))
        assert author[-1]["status"] == "pending"
        assert frames_to(published, session_moderators_room(session.pk))[-1]["item"]["reports"] == 3

    def test_reporting_twice_counts_once(self, session, message):
        (reporter,) = self.reporters(1)

        for _ in range(3):
            moderation.report_message(message.pk, user=reporter)

        assert message.reports.count() == 1
        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE

    def test_after_a_review_old_reports_no_longer_count(self, session, moderator, message):
        for reporter in self.reporters(2):
            moderation.report_message(message.pk, user=reporter)
        moderation.approve_message(message.pk, user=moderator)

        (late,) = [factories.make_user("tardif")]
        moderation.report_message(message.pk, user=late)

        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE
        assert message.needs_review

    def test_approving_a_held_message_puts_it_back(self, session, moderator, message):
        for reporter in self.reporters(3):
            moderation.report_message(message.pk, user=reporter)

        moderation.approve_message(message.pk, user=moderator)

        assert room_events(session)[-1]["type"] == "chat.message"

    def test_one_cannot_report_ones_own_message_nor_anonymously(
        self, session, participant, message
    ):
        from django.contrib.auth.models import AnonymousUser

        with pytest.raises(InvalidMessage):
            moderation.report_message(message.pk, user=participant)
        with pytest.raises(LoginRequired):
            moderation.report_message(message.pk, user=AnonymousUser())


class TestSanctions:
    def test_a_banned_participant_reads_but_cannot_post(
        self, session, moderator, participant, published
    ):
        sanctions.sanction_user(session.pk, participant.pk, user=moderator, reason="insultes")

        with pytest.raises(Restricted, match="insultes"):
            messages.post_message(session.pk, user=participant, text="Encore", client_id="a")
        told = frames_to(published, session_user_room(session.pk, participant.pk))
        assert told == [
            {
                "type": "chat.restriction",
                "restriction": {"kind": "ban", "until": None, "reason": "insultes"},
            }
        ]
        assert AuditEntry.objects.get(action="chat.ban").data["user"] == participant.pk

    def test_a_timeout_ends_by_itself(self, session, moderator, participant):
        sanction = sanctions.sanction_user(session.pk, participant.pk, user=moderator, minutes=10)

        with pytest.raises(Restricted):
            messages.post_message(session.pk, user=participant, text="Encore", client_id="a")
        sanction.until = timezone.now() - timedelta(seconds=1)
        sanction.save()

        assert messages.post_message(session.pk, user=participant, text="Re", client_id="b")

    def test_lifting_lets_them_post_again(self, session, moderator, participant, published):
        sanctions.sanction_user(session.pk, participant.pk, user=moderator)

        sanctions.lift_sanction(session.pk, participant.pk, user=moderator)

        assert messages.post_message(session.pk, user=participant, text="Merci", client_id="a")
        told = frames_to(published, session_user_room(session.pk, participant.pk))
        assert told[-1] == {"type": "chat.restriction", "restriction": None}

    def test_moderators_cannot_be_sanctioned(self, session, moderator, organiser):
        with pytest.raises(InvalidMessage):
            sanctions.sanction_user(session.pk, organiser.pk, user=moderator)
        with pytest.raises(InvalidMessage):
            sanctions.sanction_user(session.pk, moderator.pk, user=moderator)


class TestPace:
    def test_new_accounts_wait_before_posting(self, session, moderator):
        configure(session, moderator, new_account_minutes=30)
        newcomer = factories.make_user("nouveau")

        with pytest.raises(NewAccount, match="30"):
            messages.post_message(session.pk, user=newcomer, text="Salut", client_id="a")

        newcomer.date_joined = timezone.now() - timedelta(minutes=31)
        newcomer.save()
        assert messages.post_message(session.pk, user=newcomer, text="Salut", client_id="a")

    def test_slow_mode_is_announced_and_logged(self, session, moderator):
        moderation.set_slow_mode(session.pk, 30, user=moderator)

        assert ChatSettings.objects.get(session=session).slow_mode_seconds == 30
        assert room_events(session) == [
            {"type": "chat.settings", "seq": 1, "slow_mode_seconds": 30, "mode": "open"}
        ]
        assert AuditEntry.objects.get(action="chat.slow_mode").data == {"seconds": 30}

    def test_slow_mode_exempts_moderators(self, session, moderator, participant):
        moderation.set_slow_mode(session.pk, 60, user=moderator)
        messages.post_message(session.pk, user=participant, text="Un", client_id="a")

        with pytest.raises(RateLimited):
            messages.post_message(session.pk, user=participant, text="Deux", client_id="b")
        for n in range(3):
            messages.post_message(session.pk, user=moderator, text=f"M{n}", client_id=f"m{n}")

    @pytest.mark.parametrize("seconds", [-1, 3601])
    def test_slow_mode_out_of_range_is_refused(self, session, moderator, seconds):
        with pytest.raises(InvalidMessage):
            moderation.set_slow_mode(session.pk, seconds, user=moderator)


class TestSettings:
    def test_configuring_announces_only_the_public_rules(self, session, moderator):
        configure(session, moderator, mode="post_moderated", blocked_words="gros mot")

        assert room_events(session) == [
            {"type": "chat.settings", "seq": 1, "slow_mode_seconds": 0, "mode": "post_moderated"}
        ]
        entry = AuditEntry.objects.get(action="chat.configure")
        assert entry.data == {"mode": "post_moderated", "blocked_words": "gros mot"}

    def test_changing_only_the_blocked_words_tells_the_room_nothing(self, session, moderator):
        configure(session, moderator, blocked_words="gros mot")

        assert room_events(session) == []
        assert ChatSettings.objects.get(session=session).blocked_words == "gros mot"

    @pytest.mark.parametrize(
        "change",
        [{"mode": "anarchy"}, {"new_account_minutes": 99999}, {"report_threshold": 101}],
    )
    def test_bad_settings_are_refused_and_nothing_changes(self, session, moderator, change):
        configure(session, moderator, slow_mode_seconds=5)

        with pytest.raises(InvalidMessage):
            configure(session, moderator, slow_mode_seconds=10, **change)

        assert ChatSettings.objects.get(session=session).slow_mode_seconds == 5
