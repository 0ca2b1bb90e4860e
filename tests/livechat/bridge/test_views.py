"""The organisers' page for an event's hashtag bridge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from livechat.bridge import secrets
from livechat.models import BridgeSettings
from tests import factories

pytestmark = pytest.mark.django_db

FORM = {
    "enabled": "on",
    "extra_hashtags": "Ajaccio",
    "imports": "queue",
    "mastodon_instance": "https://mastodon.example",
    "mastodon_token": "a-very-secret-token-1234",
    "bluesky_handle": "plenary.bsky.social",
    "bluesky_app_password": "",
    "bluesky_pds": "https://bsky.social",
    "jetstream_url": "wss://jetstream2.us-east.bsky.network/subscribe",
}


def url(event):
    return reverse("livechat:bridge_settings", kwargs={"slug": event.slug})


def test_only_the_events_organisers_see_the_page(client, event, organiser):
    assert client.get(url(event)).status_code == 302  # to log in
    client.force_login(factories.make_user("habitant"))
    assert client.get(url(event)).status_code == 404
    client.force_login(organiser)
    assert client.get(url(event)).status_code == 200


def test_saving_stores_the_token_sealed_and_shows_only_its_end(client, event, organiser):
    client.force_login(organiser)
    response = client.post(url(event), FORM)
    assert response.status_code == 302
    bridge = BridgeSettings.objects.get(event=event)
    assert secrets.unseal(bridge.mastodon_token) == "a-very-secret-token-1234"
    page = client.get(url(event)).content.decode()
    assert "a-very-secret-token-1234" not in page
    assert "••••1234" in page
    # Saving again with the secret left blank keeps it.
    client.post(url(event), {**FORM, "mastodon_token": ""})
    bridge.refresh_from_db()
    assert secrets.unseal(bridge.mastodon_token) == "a-very-secret-token-1234"
    client.post(url(event), {**FORM, "mastodon_token": "", "clear_mastodon_token": "on"})
    bridge.refresh_from_db()
    assert bridge.mastodon_token == ""


def test_a_jetstream_endpoint_must_be_a_websocket_url(client, event, organiser):
    client.force_login(organiser)
    response = client.post(url(event), {**FORM, "jetstream_url": "https://example.org"})
    assert response.status_code == 400
