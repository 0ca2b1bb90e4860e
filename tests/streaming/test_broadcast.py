"""The broadcast state machine, from the console and from the ingest, and its events."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from assemblies.models import AuditEntry, Session
from assemblies.services import live
from streaming.exceptions import InvalidState, NotAllowed, WrongKey
from streaming.models import Stream
from streaming.services import broadcast
from tests import factories
from tests.streaming.conftest import room_events


def test_an_organiser_starts_and_ends_the_broadcast_and_the_room_hears_each_change(
    session, organiser, settings
):
    settings.PLENARY_INGEST_HLS_URL = "http://127.0.0.1:9/hls/{name}.m3u8"
    factories.make_stream(session)

    broadcast.start_broadcast(session.pk, user=organiser)
    broadcast.end_broadcast(session.pk, user=organiser)

    events = room_events(session)
    assert [(e["type"], e["seq"], e["status"]) for e in events] == [
        ("stream.status", 1, "live"),
        ("stream.status", 2, "ended"),
    ]
    assert events[0]["source"] == {
        "kind": "hls",
        "url": f"http://127.0.0.1:9/hls/session-{session.pk}.m3u8",
        "provider": "",
        "click_to_load": False,
    }
    assert events[1]["source"] is None
    actions = AuditEntry.objects.filter(session=session).values_list("action", "actor")
    assert sorted(actions) == [("stream.ended", organiser.pk), ("stream.live", organiser.pk)]


def test_starting_twice_and_ending_twice_change_nothing_more(session, organiser, stream):
    broadcast.start_broadcast(session.pk, user=organiser)
    broadcast.start_broadcast(session.pk, user=organiser)
    broadcast.end_broadcast(session.pk, user=organiser)
    broadcast.end_broadcast(session.pk, user=organiser)

    assert [e["status"] for e in room_events(session)] == ["live", "ended"]


def test_a_participant_cannot_run_the_broadcast(session, participant, stream):
    with pytest.raises(NotAllowed):
        broadcast.start_broadcast(session.pk, user=participant)
    with pytest.raises(NotAllowed):
        broadcast.start_broadcast(999_999, user=participant)

    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED
    assert room_events(session) == []


def test_a_broadcast_with_a_replay_moves_to_it_when_it_ends(session, organiser):
    factories.make_stream(session, kind="hls", url="https://cdn.example.org/live.m3u8")
    broadcast.start_broadcast(session.pk, user=organiser)
    broadcast.configure_stream(
        session.pk,
        user=organiser,
        kind="hls",
        url="https://cdn.example.org/live.m3u8",
        replay_url="https://cdn.example.org/replay.mp4",
        preopen_minutes=15,
        grace_minutes=30,
    )

    broadcast.end_broadcast(session.pk, user=organiser)

    last = room_events(session)[-1]
    assert last["status"] == "replay"
    assert last["source"]["url"] == "https://cdn.example.org/replay.mp4"
    assert last["source"]["kind"] == "file"


def test_giving_an_ended_broadcast_its_replay_makes_it_available(session, organiser, stream):
    broadcast.start_broadcast(session.pk, user=organiser)
    broadcast.end_broadcast(session.pk, user=organiser)

    broadcast.configure_stream(
        session.pk,
        user=organiser,
        kind="ingest",
        url="",
        replay_url="https://cdn.example.org/vod/index.m3u8",
        preopen_minutes=15,
        grace_minutes=30,
    )

    stream.refresh_from_db()
    assert stream.status == Stream.Status.REPLAY
    assert room_events(session)[-1]["source"]["kind"] == "hls"


def test_a_cancelled_broadcast_cannot_go_live(session, organiser, stream):
    broadcast.cancel_broadcast(session.pk, user=organiser)

    with pytest.raises(InvalidState):
        broadcast.ingest_started(stream.key, via="test")
    with pytest.raises(InvalidState):
        broadcast.start_broadcast(session.pk, user=organiser)

    assert [e["status"] for e in room_events(session)] == ["cancelled"]


def test_an_encoder_that_reconnects_resumes_the_broadcast_until_the_session_ends(
    session, organiser, stream
):
    broadcast.ingest_started(stream.key, via="test")
    broadcast.ingest_stopped(stream.key, via="test")
    broadcast.ingest_started(stream.key, via="test")

    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE
    live.start_session(session.pk, user=organiser)
    live.end_session(session.pk, user=organiser)
    broadcast.ingest_stopped(stream.key, via="test")
    with pytest.raises(InvalidState):
        broadcast.ingest_started(stream.key, via="test")


def test_a_wrong_key_changes_nothing(session, stream):
    for key in ["", "not-the-key", stream.key + "x", "k" * 500]:
        with pytest.raises(WrongKey):
            broadcast.ingest_started(key, via="test")

    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED
    assert room_events(session) == []


def test_only_ingest_streams_answer_to_their_key(session):
    stream = factories.make_stream(session, kind="hls", url="https://cdn.example.org/a.m3u8")

    with pytest.raises(WrongKey):
        broadcast.ingest_started(stream.key, via="test")


def test_a_new_key_replaces_the_old_one(session, organiser, stream):
    old = stream.key

    broadcast.regenerate_key(session.pk, user=organiser)

    with pytest.raises(WrongKey):
        broadcast.ingest_started(old, via="test")
    stream.refresh_from_db()
    broadcast.ingest_started(stream.key, via="test")


@pytest.mark.django_db(transaction=True)
def test_a_hook_and_a_manual_start_racing_agree():
    session = factories.make_session()
    organiser = factories.make_organiser(session)
    stream = factories.make_stream(session)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def hook() -> None:
        barrier.wait()
        try:
            broadcast.ingest_started(stream.key, via="race")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def press() -> None:
        barrier.wait()
        try:
            broadcast.start_broadcast(session.pk, user=organiser)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=f) for f in [hook, press] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE
    assert [e["status"] for e in room_events(session)] == ["live"]
    assert AuditEntry.objects.filter(session=session, action="stream.live").count() == 1
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED
