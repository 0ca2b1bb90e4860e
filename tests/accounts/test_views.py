"""Signing up, logging in and out, and resetting a forgotten password."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "une-phrase-de-passe-solide"


def test_signing_up_with_a_display_name_logs_in_and_returns_to_the_page(client, session):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "amina",
            "display_name": "Amina B.",
            "email": "amina@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": session.get_absolute_url(),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    user = User.objects.get(username="amina")
    assert user.public_name == "Amina B."
    assert "Amina B." in client.get("/").content.decode()


def test_signup_requires_a_display_name_and_explains_why(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": "x@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_signup_ignores_a_next_url_on_another_site(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "y",
            "display_name": "Y",
            "email": "y@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == "/"


def test_log_in_and_out(client):
    factories.make_user("hugo", password=PASSWORD, display_name="Hugo H.")

    response = client.post("/accounts/login/", {"username": "hugo", "password": PASSWORD})
    assert response.status_code == 302
    assert "Hugo H." in client.get("/").content.decode()

    client.post("/accounts/logout/")
    assert "Hugo H." not in client.get("/").content.decode()


def test_a_wrong_password_is_a_form_error(client):
    factories.make_user("hugo", password=PASSWORD)

    response = client.post("/accounts/login/", {"username": "hugo", "password": "nope"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_password_reset_sends_a_working_link(client):
    factories.make_user("hugo", password=PASSWORD, email="hugo@example.org")

    client.post("/accounts/password/reset/", {"email": "hugo@example.org"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = "un-autre-mot-de-passe-long"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert client.login(username="hugo", password=new)
