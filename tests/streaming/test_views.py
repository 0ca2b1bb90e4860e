"""The console's form fallbacks, the settings page, chapters, attendance export, check-in."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from assemblies.models import Attendance, AuditEntry, Session
from assemblies.services import live
from streaming.models import Stream
from streaming.services import broadcast, checkin
from tests import factories


def test_the_console_forms_run_the_broadcast_without_javascript(client, session, organiser, stream):
    client.force_login(organiser)

    response = client.post(reverse("streaming:start", kwargs={"pk": session.pk}))

    assert response.status_code == 302
    assert response["Location"].endswith(f"/sessions/{session.pk}/#broadcast")
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE
    client.post(reverse("streaming:end", kwargs={"pk": session.pk}))
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED


def test_participants_cannot_use_the_console_forms(client, session, participant, stream):
    client.force_login(participant)

    assert client.post(reverse("streaming:start", kwargs={"pk": session.pk})).status_code == 403
    assert client.get(reverse("streaming:settings", kwargs={"pk": session.pk})).status_code == 403
    assert client.get(reverse("streaming:attendance", kwargs={"pk": session.pk})).status_code == 403
    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED


def test_the_settings_page_saves_a_source_and_refuses_a_bad_one(client, session, organiser):
    client.force_login(organiser)
    url = reverse("streaming:settings", kwargs={"pk": session.pk})
    form = {
        "kind": "youtube",
        "url": "",
        "replay_url": "",
        "preopen_minutes": 10,
        "grace_minutes": 5,
    }

    response = client.post(url, {**form, "url": "ftp://example.org/video"})
    assert response.status_code == 200
    assert not Stream.objects.filter(session=session).exists()

    response = client.post(url, {**form, "url": "https://youtu.be/dQw4w9WgXcQ"})
    assert response.status_code == 302
    stream = Stream.objects.get(session=session)
    assert (stream.kind, stream.preopen_minutes, stream.grace_minutes) == ("youtube", 10, 5)


def test_the_settings_page_shows_the_key_to_organisers_only(client, session, organiser, stream):
    url = reverse("streaming:settings", kwargs={"pk": session.pk})
    client.force_login(organiser)
    assert stream.key in client.get(url).content.decode()
    page = client.get(session.get_absolute_url()).content.decode()
    assert stream.key not in page


def test_the_session_page_shows_the_player_without_the_key(client, session, stream):
    page = client.get(session.get_absolute_url()).content.decode()

    assert "data-player" in page
    assert "stream-config" in page
    assert stream.key not in page


def test_the_chapters_track_starts_each_agenda_item_where_it_began(client, session, organiser):
    stream = factories.make_stream(session)
    live.start_session(session.pk, user=organiser)  # item 1 at once
    broadcast.start_broadcast(session.pk, user=organiser)
    start = timezone.now() - timedelta(minutes=10)
    Stream.objects.filter(pk=stream.pk).update(started_at=start)
    AuditEntry.objects.filter(action="agenda.current").update(
        created_at=start - timedelta(minutes=1)
    )
    live.advance_agenda(session.pk, user=organiser)
    entry = AuditEntry.objects.filter(action="agenda.current").latest("pk")
    entry.created_at = start + timedelta(minutes=4, seconds=10, milliseconds=500)
    entry.save()
    Stream.objects.filter(pk=stream.pk).update(ended_at=start + timedelta(minutes=9))

    response = client.get(reverse("streaming:chapters", kwargs={"pk": session.pk}))

    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:04:10.500\nPoint 1\n\n"
        "2\n00:04:10.500 --> 00:09:00.000\nPoint 2\n"
    )


def test_the_attendance_export_lists_minutes_present_and_the_hall(client, session, organiser):
    now = timezone.now()
    awa = factories.make_user("awa", display_name="=Awa")
    Attendance.objects.create(
        session=session,
        user=awa,
        first_joined_at=now - timedelta(minutes=50),
        last_left_at=now - timedelta(minutes=5),
        seconds_present=45 * 60 + 20,
        checked_in_at=now - timedelta(minutes=55),
    )
    client.force_login(organiser)

    response = client.get(reverse("streaming:attendance", kwargs={"pk": session.pk}))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][4] == "minutes de présence en ligne"
    assert rows[1][0] == "'=Awa"
    assert rows[1][1] == "awa"
    assert rows[1][4] == "45"
    assert rows[1][5] != ""


def test_checking_in_with_the_projector_code(client, session, participant):
    token = checkin.make_token(session)
    url = reverse("streaming:check_in", kwargs={"pk": session.pk})

    assert client.get(url, {"t": token}).status_code == 302  # log in first
    client.force_login(participant)
    assert client.get(url, {"t": token}).status_code == 200
    assert client.post(url, {"t": token}).status_code == 200
    assert client.post(url, {"t": token}).status_code == 200  # again: nothing more

    row = Attendance.objects.get(session=session, user=participant)
    assert row.checked_in_at is not None


def test_an_expired_or_foreign_code_is_refused(client, session, participant, monkeypatch):
    other = factories.make_session()
    client.force_login(participant)
    url = reverse("streaming:check_in", kwargs={"pk": session.pk})

    assert client.post(url, {"t": checkin.make_token(other)}).status_code == 403
    assert client.post(url, {"t": "forged"}).status_code == 403
    old = signing.TimestampSigner(salt="plenary.streaming.checkin")
    monkeypatch.setattr(old, "timestamp", lambda: "1")  # made long ago
    assert client.post(url, {"t": old.sign(str(session.pk))}).status_code == 403
    assert not Attendance.objects.filter(session=session).exists()


def test_checking_in_to_a_closed_session_is_refused_with_409(client, session, participant):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.ENDED)
    client.force_login(participant)
    url = reverse("streaming:check_in", kwargs={"pk": session.pk})

    response = client.post(url, {"t": checkin.make_token(session)})

    assert response.status_code == 409
    assert not Attendance.objects.filter(session=session).exists()


def test_the_projector_code_is_a_qr_svg_of_the_check_in_address(client, session, organiser):
    client.force_login(organiser)

    page = client.get(reverse("streaming:check_in_code", kwargs={"pk": session.pk}))

    body = page.content.decode()
    assert "<svg" in body
    assert f"/sessions/{session.pk}/check-in/?t=" in body
