"""Ingest hooks: nginx-rtmp (form), MediaMTX (JSON), Owncast (webhooks); bad input is a 4xx."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from streaming.models import Stream
from tests.streaming.conftest import room_events

NGINX = "/streaming/hooks/nginx-rtmp/"
MEDIAMTX = "/streaming/hooks/mediamtx/"


def nginx(client, call: str, name: str, **extra: str):
    data = {"app": "live", "addr": "127.0.0.1", "call": call, "name": name, **extra}
    return client.post(NGINX, data)


def test_nginx_publish_and_publish_done_move_the_broadcast(client, session, stream):
    assert nginx(client, "publish", stream.key).status_code == 200
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE

    assert nginx(client, "publish_done", stream.key).status_code == 200
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED
    assert [e["status"] for e in room_events(session)] == ["live", "ended"]


def test_nginx_is_sent_to_the_relay_under_the_public_name(client, session, stream, settings):
    settings.PLENARY_INGEST_RELAY_URL = "rtmp://127.0.0.1:1935/hls/"

    response = nginx(client, "publish", stream.key)

    assert response.status_code == 302
    assert response["Location"] == f"rtmp://127.0.0.1:1935/hls/session-{session.pk}"


def test_a_wrong_key_is_refused_with_403_and_changes_nothing(client, session, stream):
    assert nginx(client, "publish", "guess").status_code == 403
    assert nginx(client, "publish_done", "guess").status_code == 403
    assert (
        client.post(
            MEDIAMTX, json.dumps({"event": "ready", "path": "live/guess"}), "application/json"
        ).status_code
        == 403
    )
    owncast = reverse("streaming:hook_owncast", kwargs={"key": "guess"})
    started = json.dumps({"type": "STREAM_STARTED", "eventData": {}})
    assert client.post(owncast, started, "application/json").status_code == 403
    chat = json.dumps({"type": "CHAT", "eventData": {}})
    assert client.post(owncast, chat, "application/json").status_code == 403

    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED
    assert room_events(session) == []


def test_repeated_and_late_hooks_change_nothing_more(client, session, stream):
    for _ in range(3):
        assert nginx(client, "publish", stream.key).status_code == 200
    for _ in range(3):
        assert nginx(client, "publish_done", stream.key).status_code == 200

    assert [e["status"] for e in room_events(session)] == ["live", "ended"]


def test_a_publish_for_a_cancelled_broadcast_is_refused_with_409(
    client, session, stream, organiser
):
    client.force_login(organiser)
    client.post(reverse("streaming:cancel", kwargs={"pk": session.pk}))
    client.logout()

    assert nginx(client, "publish", stream.key).status_code == 409
    stream.refresh_from_db()
    assert stream.status == Stream.Status.CANCELLED


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        (NGINX, "call=publish", "application/x-www-form-urlencoded"),
        (NGINX, "call=play&name=KEY", "application/x-www-form-urlencoded"),
        (MEDIAMTX, "not json", "application/json"),
        (MEDIAMTX, '{"event": "ready"}', "application/json"),
        (MEDIAMTX, '{"event": "ready", "path": "live/KEY", "extra": 1}', "application/json"),
        (MEDIAMTX, '{"event": "exploded", "path": "live/KEY"}', "application/json"),
        ("/streaming/hooks/owncast/KEY/", "[]", "application/json"),
        ("/streaming/hooks/owncast/KEY/", "{}", "application/json"),
    ],
)
def test_bad_hook_bodies_get_400_and_change_nothing(
    client, session, stream, path, body, content_type
):
    response = client.post(path.replace("KEY", stream.key), body, content_type=content_type)

    assert response.status_code == 400
    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED


def test_hooks_only_take_posts(client, stream):
    assert client.get(NGINX, {"call": "publish", "name": stream.key}).status_code == 405


def test_mediamtx_ready_and_not_ready(client, session, stream):
    def post(event: str):
        body = json.dumps({"event": event, "path": f"live/{stream.key}"})
        return client.post(MEDIAMTX, body, content_type="application/json")

    assert post("ready").status_code == 200
    assert post("ready").status_code == 200
    assert post("notReady").status_code == 200

    assert [e["status"] for e in room_events(session)] == ["live", "ended"]


def test_owncast_started_and_stopped_and_other_events_ignored(client, session, stream):
    url = reverse("streaming:hook_owncast", kwargs={"key": stream.key})

    def post(kind: str):
        body = json.dumps({"type": kind, "eventData": {"streamTitle": "Conseil"}})
        return client.post(url, body, content_type="application/json")

    assert post("STREAM_STARTED").status_code == 200
    assert post("USER_JOINED").status_code == 204
    assert post("STREAM_STOPPED").status_code == 200

    assert [e["status"] for e in room_events(session)] == ["live", "ended"]
