"""The projector page: public like the session page, a plain 404 for a missing session."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_projector_page_shows_the_session_to_an_anonymous_visitor(client):
    session = factories.make_session(title="Plénière d’ouverture")

    response = client.get(reverse("livechat:projector", kwargs={"pk": session.pk}))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="fr"' in page
    assert "<title>" in page
    assert "Plénière d’ouverture" in page
    assert f'"socket": "/ws/sessions/{session.pk}/"' in page
    assert "site-header" not in page


def test_the_projector_page_answers_a_logged_in_participant(client):
    session = factories.make_session(title="Réunion du comité")
    client.force_login(factories.make_user("habitante"))

    response = client.get(f"/sessions/{session.pk}/projector/")

    assert response.status_code == 200
    assert "Réunion du comité" in response.content.decode()


def test_the_projector_page_shows_the_current_agenda_item(client):
    session = factories.make_session()
    session.current_item = session.agenda_items.get(position=2)
    session.save(update_fields=["current_item"])

    page = client.get(reverse("livechat:projector", kwargs={"pk": session.pk})).content.decode()

    assert "Point 2" in page


def test_the_projector_page_of_an_unknown_session_is_not_found(client):
    response = client.get(reverse("livechat:projector", kwargs={"pk": 999_999}))

    assert response.status_code == 404
