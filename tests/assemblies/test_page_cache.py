"""Logged-out visitors share one render of the session page, never a logged-in one.

Each still gets their own CSRF token (the language switcher's form works), each
language its own page, and a change to what the page shows is there at once.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client

from assemblies.services import live
from streaming.models import Stream
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def visitor(language: str = "fr") -> Client:
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)


def test_the_second_visitor_gets_the_page_without_it_being_rendered_again(
    session, django_assert_max_num_queries
):
    first = visitor().get(session.get_absolute_url())
    assert first.status_code == 200

    with django_assert_max_num_queries(1):  # the room's seq, for the key
        second = visitor().get(session.get_absolute_url())

    assert second.status_code == 200
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


def test_each_visitor_gets_their_own_csrf_token_and_the_form_works():
    session = factories.make_session(title="Conseil citoyen")
    url = session.get_absolute_url()
    tokens = []
    for _ in range(2):
        client = visitor()
        page = client.get(url)
        token = TOKEN.search(page.content.decode()).group(1)
        assert "plenary-csrf" not in page.content.decode()
        answer = client.post(
            "/i18n/setlang/", {"language": "en", "next": url, "csrfmiddlewaretoken": token}
        )
        assert answer.status_code == 302
        tokens.append(client.cookies["csrftoken"].value)
    assert tokens[0] != tokens[1]


def test_a_wrong_token_is_still_refused():
    session = factories.make_session()
    client = visitor()
    client.get(session.get_absolute_url())
    other = visitor()
    token = TOKEN.search(other.get(session.get_absolute_url()).content.decode()).group(1)

    answer = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )

    assert answer.status_code == 403


def test_each_language_has_its_own_page(session):
    french = visitor("fr").get(session.get_absolute_url()).content.decode()
    english = visitor("en").get(session.get_absolute_url()).content.decode()
    french_again = visitor("fr").get(session.get_absolute_url()).content.decode()

    assert 'lang="fr"' in french
    assert 'lang="fr"' in french_again
    assert 'lang="en"' in english
    assert "Agenda" in english
    assert "Ordre du jour" in french_again


def test_a_logged_in_page_is_never_shared(session, organiser, participant, client):
    anonymous = visitor().get(session.get_absolute_url()).content.decode()
    client.force_login(organiser)
    own = client.get(session.get_absolute_url()).content.decode()
    client.force_login(participant)
    theirs = client.get(session.get_absolute_url()).content.decode()
    after = visitor().get(session.get_absolute_url()).content.decode()

    assert 'id="console"' in own
    assert organiser.public_name in own
    assert 'id="console"' not in theirs
    assert participant.public_name in theirs
    for page in (anonymous, after):
        assert 'id="console"' not in page
        assert organiser.public_name not in page
        assert participant.public_name not in page
        assert "Se connecter" in page or "Connexion" in page


def test_what_the_page_shows_changes_at_once(session, organiser):
    url = session.get_absolute_url()
    assert 'data-status="scheduled"' in visitor().get(url).content.decode()

    live.start_session(session.pk, user=organiser)  # a room event
    assert 'data-status="live"' in visitor().get(url).content.decode()

    session.title = "Assemblée plénière de printemps"
    session.save(update_fields=["title"])  # saved: at once
    assert "Assemblée plénière de printemps" in visitor().get(url).content.decode()

    item = session.agenda_items.order_by("position").last()
    item.title = "Questions du public"
    item.save(update_fields=["title"])
    assert "Questions du public" in visitor().get(url).content.decode()

    stream = factories.make_stream(session, kind=Stream.Kind.HLS, url="https://v.example/a.m3u8")
    assert 'data-stream-status="scheduled"' in visitor().get(url).content.decode()
    stream.status = Stream.Status.CANCELLED
    stream.save(update_fields=["status"])
    assert 'data-stream-status="cancelled"' in visitor().get(url).content.decode()


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(session, rf):
    url = session.get_absolute_url()
    visitor().get(url)  # cached
    storage = CookieStorage(rf.get("/"))
    storage.add(constants.INFO, "Vous êtes déconnecté·e.")
    carrier = HttpResponse()
    storage.update(carrier)
    client = visitor()
    client.cookies[CookieStorage.cookie_name] = carrier.cookies[CookieStorage.cookie_name].value

    page = client.get(url).content.decode()

    assert "Vous êtes déconnecté·e." in page
    assert "Vous êtes déconnecté·e." not in visitor().get(url).content.decode()
