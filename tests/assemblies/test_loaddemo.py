"""The ``loaddemo`` command: what it loads, and that loading again changes nothing."""

from __future__ import annotations

import io
from datetime import time

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from assemblies.models import AgendaItem, Body, Event, Organisation, Role, Session, Venue

pytestmark = pytest.mark.django_db

COMMITTEE_SLUGS = {
    "cq-centre-ville",
    "cq-coteau",
    "cq-ouest-nord",
    "cq-ouest-sud",
    "cq-la-plaine-la-prairie",
}
DEMO_USERNAMES = ["admin", "organisatrice", "moderateur", "secretaire", "habitant"]


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Organisation, Body, Venue, Event, Session, AgendaItem, Role, User)
    return {model.__name__: model.objects.count() for model in models}


def first_plenary() -> Session:
    return Session.objects.filter(
        event__slug="assises-ajaccio", kind=Session.Kind.PLENARY
    ).earliest("starts_at")


def test_loads_the_ajaccio_conference_over_three_days_from_today():
    load()

    event = Event.objects.get(slug="assises-ajaccio")
    assert event.hashtag == "assmednum"
    assert event.body is not None
    assert event.body.kind == Body.Kind.CONFERENCE
    sessions = list(event.sessions.all())
    assert all(s.body_id == event.body_id for s in sessions)
    today = timezone.localdate()
    days = sorted({timezone.localdate(s.starts_at) for s in sessions})
    assert len(days) == 3
    assert days[0] == today
    plenaries = [s for s in sessions if s.kind == Session.Kind.PLENARY]
    assert len(plenaries) == 3
    assert all(4 <= s.agenda_items.count() <= 5 for s in plenaries)
    opening = first_plenary()
    assert timezone.localdate(opening.starts_at) == today
    assert opening.status == Session.Status.SCHEDULED
    assert opening.starts_at <= timezone.now() < opening.ends_at
    assert all(s.ends_at > s.starts_at for s in sessions)


def test_loads_five_cachan_committees_with_evening_meetings():
    load()

    committees = Body.objects.filter(
        organisation__slug="ville-de-cachan", kind=Body.Kind.NEIGHBOURHOOD_COMMITTEE
    )
    assert set(committees.values_list("slug", flat=True)) == COMMITTEE_SLUGS
    now = timezone.now()
    for committee in committees:
        assert committee.charter
        assert committee.territory
        meetings = list(committee.sessions.all())
        assert all(s.event_id is None for s in meetings)
        assert all(timezone.localtime(s.starts_at).time() == time(20, 30) for s in meetings)
        assert all(timezone.localtime(s.ends_at).time() == time(22, 30) for s in meetings)
        upcoming = [s for s in meetings if s.status == Session.Status.SCHEDULED]
        past = [s for s in meetings if s.status == Session.Status.ENDED]
        assert len(upcoming) == 3
        assert all(s.starts_at > now for s in upcoming)
        assert len(past) == 1
        assert past[0].ends_at < now
        assert all(3 <= s.agenda_items.count() <= 5 for s in meetings)


def test_running_twice_duplicates_nothing():
    load()
    first = counts()
    load()

    assert counts() == first


def test_a_live_session_stays_live_on_a_second_run():
    load()
    opening = first_plenary()
    Session.objects.filter(pk=opening.pk).update(status=Session.Status.LIVE)
    before = Session.objects.get(pk=opening.pk)

    load()

    after = Session.objects.get(pk=opening.pk)
    assert after.status == Session.Status.LIVE
    assert (after.starts_at, after.ends_at) == (before.starts_at, before.ends_at)


def test_reset_reloads_a_fresh_copy():
    load()
    Session.objects.filter(pk=first_plenary().pk).update(status=Session.Status.LIVE)
    first = counts()

    load("--reset")

    assert counts() == first
    assert first_plenary().status == Session.Status.SCHEDULED


def test_demo_users_can_log_in_with_their_roles():
    output = load()

    for username in DEMO_USERNAMES:
        assert authenticate(username=username, password="plenary-demo") is not None
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    organiser = User.objects.get(username="organisatrice")
    assert organiser.display_name == "Claire Organisatrice"
    event = Event.objects.get(slug="assises-ajaccio")
    assert Role.objects.filter(user=organiser, kind=Role.Kind.ORGANISER, event=event).exists()
    assert (
        Role.objects.filter(
            user=organiser, kind=Role.Kind.ORGANISER, body__slug__in=COMMITTEE_SLUGS
        ).count()
        == 5
    )
    assert not Role.objects.filter(user__username="habitant").exists()
    assert all(username in output for username in DEMO_USERNAMES)
