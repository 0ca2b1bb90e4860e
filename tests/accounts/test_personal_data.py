"""A participant sees what is recorded, downloads it, and erases their account;
what they said in public stays, without their name."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from livechat.models import Message, MessageReaction, Question
from livechat.services import history, messages, moderation, questions, reactions
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "une-phrase-de-passe-solide"


@pytest.fixture
def resident(session):
    return factories.make_user("awa", password=PASSWORD, display_name="Awa D.", email="a@x.org")


def take_part(session, resident):
    message = messages.post_message(session.pk, user=resident, text="Bonjour", client_id="m")
    questions.ask_question(session.pk, user=resident, text="Et le budget ?", client_id="q")
    other = factories.make_user("voisin")
    theirs = messages.post_message(session.pk, user=other, text="Salut", client_id="o")
    reactions.react_to_message(theirs.pk, user=resident, emoji="👍")
    moderation.report_message(theirs.pk, user=resident, ground="spam")
    return message


def test_the_privacy_notice_is_public(client):
    page = client.get("/accounts/privacy/").content.decode()

    assert "Ce que Plenary enregistre" in page


def test_the_download_holds_what_the_participant_wrote(client, session, resident):
    take_part(session, resident)
    client.force_login(resident)

    response = client.get("/accounts/me/data.json")

    assert response["Content-Disposition"] == 'attachment; filename="plenary-awa.json"'
    data = json.loads(response.content)
    assert data["account"]["display_name"] == "Awa D."
    assert [m["text"] for m in data["chat"]["messages"]] == ["Bonjour"]
    assert [q["text"] for q in data["chat"]["questions"]] == ["Et le budget ?"]
    assert data["chat"]["reactions"][0]["emoji"] == "👍"
    assert data["chat"]["reports"][0]["ground"] == "spam"
    assert data["attendance"] == []


def test_the_download_needs_to_be_logged_in(client):
    assert client.get("/accounts/me/data.json").status_code == 302


def test_erasing_keeps_the_public_record_without_the_name(client, session, resident):
    message = take_part(session, resident)
    client.force_login(resident)

    response = client.post("/accounts/me/erase/", {"password": PASSWORD}, follow=True)

    assert "Votre compte est supprimé." in response.content.decode()
    assert not User.objects.filter(username="awa").exists()
    message.refresh_from_db()
    assert (message.text, message.author) == ("Bonjour", None)
    assert Question.objects.get(text="Et le budget ?").author is None
    assert not MessageReaction.objects.exists()
    (state,) = history.describe([message], session)
    assert (state.author.id, state.author.name) == (None, "")
    assert client.get("/accounts/me/").status_code == 302  # logged out


def test_a_wrong_password_erases_nothing(client, session, resident):
    take_part(session, resident)
    client.force_login(resident)

    response = client.post("/accounts/me/erase/", {"password": "non"})

    assert response.status_code == 400
    assert "Ce n’est pas votre mot de passe." in response.content.decode()
    assert User.objects.filter(username="awa").exists()
    assert Message.objects.filter(author__username="awa").count() == 1
