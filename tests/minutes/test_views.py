"""The minutes on the session page, the workflow forms and the published page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from minutes.models import Minutes
from minutes.services import store, workflow
from tests import factories

pytestmark = pytest.mark.django_db


def page(session, user=None) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(session.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_note_taker_gets_the_editor_and_a_visitor_the_live_reader(session):
    note_taker = factories.make_note_taker(session)

    writer_page, visitor_page = page(session, note_taker), page(session)

    assert 'data-can-write="1"' in writer_page
    assert 'role="toolbar"' in writer_page
    assert f'"socket": "/ws/minutes/{session.pk}/"' in writer_page
    assert '"canWrite": true' in writer_page
    assert 'data-can-write="0"' in visitor_page
    assert 'role="toolbar"' not in visitor_page
    assert "/static/dist/minutes." in visitor_page


def test_an_organiser_sees_the_next_workflow_step(session, organiser):
    html = page(session, organiser)

    assert f"/sessions/{session.pk}/minutes/submit/" in html
    assert "/minutes/publish/" not in html
    form = html[html.index("/minutes/submit/") :]
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{32,}"', form[:300])


def test_the_workflow_forms_move_the_minutes(session, organiser, participant):
    store.ensure_minutes(session.pk, user=participant)
    client = Client()
    client.force_login(organiser)

    response = client.post(f"/sessions/{session.pk}/minutes/submit/")

    assert response.status_code == 302
    assert response["Location"].endswith("#minutes")
    assert Minutes.objects.get(session=session).status == Minutes.Status.REVIEW


def test_a_participant_cannot_post_a_workflow_step(session, participant):
    store.ensure_minutes(session.pk, user=participant)
    client = Client()
    client.force_login(participant)

    response = client.post(f"/sessions/{session.pk}/minutes/submit/")

    assert response.status_code == 404
    assert Minutes.objects.get(session=session).status == Minutes.Status.DRAFT


def test_published_minutes_are_public_and_unpublished_ones_are_not(session, organiser):
    store.ensure_minutes(session.pk, user=organiser)
    url = f"/sessions/{session.pk}/minutes/"
    assert Client().get(url).status_code == 404

    for step in (workflow.submit_minutes, workflow.approve_minutes, workflow.publish_minutes):
        step(session.pk, user=organiser)
    response = Client().get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Point 1</h2>" in html
    assert "Organisatrice" in html


def test_organisers_correct_published_minutes_and_the_panel_says_so(session, organiser):
    store.ensure_minutes(session.pk, user=organiser)
    for step in (workflow.submit_minutes, workflow.approve_minutes, workflow.publish_minutes):
        step(session.pk, user=organiser)
    client = Client()
    client.force_login(organiser)
    assert f"/sessions/{session.pk}/minutes/correct/" in page(session, organiser)

    response = client.post(f"/sessions/{session.pk}/minutes/correct/")

    assert response.status_code == 302
    minutes = Minutes.objects.get(session=session)
    assert minutes.status == Minutes.Status.DRAFT
    assert minutes.version == 1
    visitor = page(session)
    assert f'href="/sessions/{session.pk}/minutes/"' in visitor  # version 1 stays readable
    assert "/minutes/correct/" not in visitor


def test_logged_out_visitors_see_the_minutes_published_at_once(session, organiser, note_taker):
    store.ensure_minutes(session.pk, user=note_taker)
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        "Read the published minutes" not in visitor.get(session.get_absolute_url()).content.decode()
    )

    for move in (workflow.submit_minutes, workflow.approve_minutes, workflow.publish_minutes):
        move(session.pk, user=organiser)

    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(session.get_absolute_url()).content.decode()
    assert "Read the published minutes" in page
