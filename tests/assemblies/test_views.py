"""The public programme pages and the organiser console's plain form actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from assemblies.models import AuditEntry, Body, Session
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def test_home_lists_live_and_upcoming_sessions_in_french(client):
    live = factories.make_session(title="Plénière d’ouverture", status=Session.Status.LIVE)
    factories.make_session(title="Réunion de rentrée")
    factories.make_session(
        title="Réunion passée",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )

    page = client.get("/").content.decode()

    assert 'lang="fr"' in page
    live_section, upcoming_section = page.split('id="upcoming-heading"')
    assert live.title in live_section
    assert "Réunion de rentrée" in upcoming_section
    assert "Réunion passée" not in page


def test_the_language_switcher_turns_the_site_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    assert 'lang="en"' in response.content.decode()
    assert "Live now" in response.content.decode()


def test_a_body_page_shows_its_charter_and_its_meetings_with_venue_and_time(client):
    body = factories.make_body(name="CQ Coteau", charter="Charte du comité du Coteau.")
    venue = factories.make_venue(body.organisation, name="Maison du Coteau")
    starts = datetime.combine(timezone.localdate() + timedelta(days=7), datetime.min.time())
    starts = starts.replace(hour=20, minute=30, tzinfo=PARIS)
    factories.make_session(
        body=body,
        title="Réunion d’automne",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue=venue,
    )

    page = client.get(body.get_absolute_url()).content.decode()

    assert "Charte du comité du Coteau." in page
    assert "Réunion d’automne" in page
    assert "20:30" in page
    assert "Maison du Coteau" in page
    assert reverse("assemblies:body_calendar", args=[body.slug]) in page


def test_an_event_programme_is_grouped_by_day_with_a_live_badge(client):
    event = factories.make_event(title="Assises de la médiation numérique")
    day_one = timezone.now() + timedelta(hours=1)
    factories.make_session(
        event=event,
        title="Plénière 1",
        starts_at=day_one,
        ends_at=day_one + timedelta(hours=1),
        status=Session.Status.LIVE,
    )
    day_two = day_one + timedelta(days=1)
    factories.make_session(
        event=event, title="Plénière 2", starts_at=day_two, ends_at=day_two + timedelta(hours=1)
    )

    page = client.get(event.get_absolute_url()).content.decode()

    assert page.count('class="programme-day"') == 2
    assert page.index("Plénière 1") < page.index("Plénière 2")
    first_day = page.split('class="programme-day"')[1]
    assert "badge--live" in first_day
    assert "#assmednum" in page


def test_the_programme_costs_the_same_queries_for_many_sessions(
    client, django_assert_max_num_queries
):
    event = factories.make_event()
    for _ in range(15):
        factories.make_session(event=event, items=4)

    with django_assert_max_num_queries(6):
        assert client.get(event.get_absolute_url()).status_code == 200


def test_home_page_queries_do_not_grow_with_sessions(client, django_assert_max_num_queries):
    for _ in range(10):
        factories.make_session()

    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200


def test_the_session_page_shows_the_agenda_with_the_current_item(client, session, organiser):
    session.status = Session.Status.LIVE
    session.current_item = session.agenda_items.get(position=2)
    session.save()

    page = client.get(session.get_absolute_url()).content.decode()

    assert 'aria-current="step"' in page
    current = page.split('aria-current="step"')[0].rsplit("<li", 1)[1]
    assert f'data-item="{session.current_item.pk}"' in current
    for region in (
        "video-heading",
        "agenda-heading",
        "chat-heading",
        "questions-heading",
        "minutes-heading",
    ):
        assert f'id="{region}"' in page
    assert 'id="session-config"' in page
    assert "console-heading" not in page


def test_organisers_see_the_console(client, session, organiser):
    client.force_login(organiser)

    page = client.get(session.get_absolute_url()).content.decode()

    assert 'id="console-heading"' in page
    assert reverse("assemblies:session_start", args=[session.pk]) in page


def test_an_unknown_session_is_a_404_page(client):
    response = client.get("/sessions/999999/")

    assert response.status_code == 404


def test_an_organiser_runs_the_session_with_plain_forms(client, session, organiser):
    client.force_login(organiser)

    response = client.post(reverse("assemblies:session_start", args=[session.pk]))
    client.post(reverse("assemblies:agenda_advance", args=[session.pk]))

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.LIVE
    assert session.current_item.position == 2
    client.post(reverse("assemblies:session_end", args=[session.pk]))
    session.refresh_from_db()
    assert session.status == Session.Status.ENDED


def test_a_refused_transition_is_explained_on_the_page(client, session, organiser):
    client.force_login(organiser)

    response = client.post(reverse("assemblies:session_end", args=[session.pk]), follow=True)

    assert "message--error" in response.content.decode()
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


@pytest.mark.parametrize("name", ["session_start", "session_end", "agenda_advance"])
def test_a_participant_gets_403_from_console_actions(client, session, participant, name):
    client.force_login(participant)

    response = client.post(reverse(f"assemblies:{name}", args=[session.pk]))

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
    assert not AuditEntry.objects.exists()


def test_an_anonymous_console_action_is_forbidden(client, session):
    response = client.post(reverse("assemblies:session_start", args=[session.pk]))

    assert response.status_code == 403


def test_console_actions_refuse_get(client, session, organiser):
    client.force_login(organiser)

    assert client.get(reverse("assemblies:session_start", args=[session.pk])).status_code == 405


def test_selecting_an_item_of_another_session_is_refused(client, session, organiser):
    client.force_login(organiser)
    client.post(reverse("assemblies:session_start", args=[session.pk]))
    foreign = factories.make_session(body=session.body).agenda_items.first()

    response = client.post(
        reverse("assemblies:agenda_select", args=[session.pk, foreign.pk]), follow=True
    )

    assert "message--error" in response.content.decode()
    session.refresh_from_db()
    assert session.current_item.position == 1


def test_body_kinds_are_shown_in_french(client):
    body = factories.make_body(kind=Body.Kind.CITIZENS_COUNCIL)

    assert "Conseil citoyen" in client.get(body.get_absolute_url()).content.decode()


def test_the_404_page_is_ours_and_in_french(client):
    response = client.get("/sessions/999999/")

    assert "Page introuvable" in response.content.decode()
    assert "Retour au programme" in response.content.decode()


def test_the_403_page_explains_who_may_act(client, session, participant):
    client.force_login(participant)

    response = client.post(reverse("assemblies:session_start", args=[session.pk]))

    assert "compte d’organisateur" in response.content.decode()


def test_a_double_posted_next_item_form_moves_once(client, session, organiser):
    client.force_login(organiser)
    client.post(reverse("assemblies:session_start", args=[session.pk]))
    first = session.agenda_items.get(position=1)

    for _ in range(2):
        client.post(reverse("assemblies:agenda_advance", args=[session.pk]), {"after": first.pk})

    session.refresh_from_db()
    assert session.current_item.position == 2
