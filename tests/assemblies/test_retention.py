"""Past a body's retention, a session's chat, questions and room log are deleted;
the session, its agenda and everything of sessions still in retention stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from assemblies.models import Attendance, Session
from assemblies.retention import purge_expired
from livechat.models import Message, Question
from livechat.services import messages, questions
from plenary.realtime.models import RoomEvent
from tests import factories

pytestmark = pytest.mark.django_db


def ended_session(days_ago: int, *, retention: int | None = 30) -> Session:
    session = factories.make_session()
    author = factories.make_user()
    Attendance.objects.create(session=session, user=author, seconds_present=600)
    messages.post_message(session.pk, user=author, text="Bonjour", client_id="m")
    questions.ask_question(session.pk, user=author, text="Et après ?", client_id="q")
    session.status = Session.Status.ENDED
    session.ended_at = timezone.now() - timedelta(days=days_ago)
    session.save()
    session.body.retention_days = retention
    session.body.save()
    return session


def test_a_session_past_retention_loses_its_chat_and_questions_only():
    old = ended_session(days_ago=31)
    recent = ended_session(days_ago=29)
    forever = ended_session(days_ago=4000, retention=None)

    counts = purge_expired()

    assert counts["sessions"] == 1
    assert not Message.objects.filter(session=old).exists()
    assert not Question.objects.filter(session=old).exists()
    assert not RoomEvent.objects.filter(room=f"session.{old.pk}").exists()
    assert not Attendance.objects.filter(session=old).exists()
    old.refresh_from_db()
    assert old.purged_at is not None
    assert old.agenda_items.count() == 3
    for kept in (recent, forever):
        assert Message.objects.filter(session=kept).count() == 1


def test_the_command_runs_again_safely(capsys):
    ended_session(days_ago=40)

    call_command("purge_expired")
    call_command("purge_expired")

    first, second = capsys.readouterr().out.strip().splitlines()
    assert first.startswith("purged: sessions 1")
    assert second.startswith("purged: sessions 0")


def test_a_live_session_is_never_purged():
    session = ended_session(days_ago=400)
    session.status = Session.Status.LIVE
    session.save()

    assert purge_expired()["sessions"] == 0
