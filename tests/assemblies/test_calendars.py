"""iCal feeds, read back with a real parser the way a calendar client would."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from assemblies.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def evening(day: date) -> datetime:
    return datetime.combine(day, time(20, 30), tzinfo=PARIS)


def fetch(client, url: str) -> icalendar.Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


@pytest.fixture
def committee_meetings(db):
    body = factories.make_body(name="CQ Ouest-Nord", slug="cq-ouest-nord")
    venue = factories.make_venue(
        body.organisation, name="Salle Marcel-Cachin", address="12 rue X\n94230 Cachan"
    )
    # One meeting in winter time, one in summer time: 20:30 both times.
    winter = factories.make_session(
        body=body,
        title="Réunion de janvier",
        starts_at=evening(date(2027, 1, 14)),
        ends_at=evening(date(2027, 1, 14)) + timedelta(hours=2),
        venue=venue,
    )
    summer = factories.make_session(
        body=body,
        title="Réunion de juin",
        starts_at=evening(date(2027, 6, 10)),
        ends_at=evening(date(2027, 6, 10)) + timedelta(hours=2),
        venue=venue,
        status=Session.Status.CANCELLED,
    )
    return body, winter, summer


def test_a_body_feed_has_each_meeting_at_local_time_with_its_timezone(client, committee_meetings):
    body, winter, summer = committee_meetings

    cal = fetch(client, f"/bodies/{body.slug}/calendar.ics")

    assert cal["VERSION"] == "2.0"
    events = {e["SUMMARY"]: e for e in cal.walk("VEVENT")}
    assert set(events) == {"Réunion de janvier", "Réunion de juin"}
    for vevent in events.values():
        assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
        assert vevent.decoded("DTSTART").time() == time(20, 30)
    assert events["Réunion de janvier"].decoded("DTSTART") == winter.starts_at
    assert events["Réunion de juin"].decoded("DTEND") == summer.ends_at
    assert events["Réunion de janvier"]["LOCATION"] == "Salle Marcel-Cachin, 12 rue X 94230 Cachan"
    assert events["Réunion de juin"]["STATUS"] == "CANCELLED"
    assert events["Réunion de janvier"]["URL"].endswith(winter.get_absolute_url())
    assert "1. Point 1" in events["Réunion de janvier"]["DESCRIPTION"]


def test_the_vtimezone_gives_the_offsets_of_europe_paris(client, committee_meetings):
    body, *_ = committee_meetings

    cal = fetch(client, f"/bodies/{body.slug}/calendar.ics")

    (vtimezone,) = cal.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Europe/Paris"
    tz = vtimezone.to_tz()
    for moment in (
        datetime(2027, 1, 14, 20, 30),
        datetime(2027, 6, 10, 20, 30),
        datetime(2030, 10, 27, 12),
    ):
        assert tz.utcoffset(moment) == moment.replace(tzinfo=PARIS).utcoffset()


def test_uids_are_stable_and_unique(client, committee_meetings):
    body, *_ = committee_meetings

    first = [e["UID"] for e in fetch(client, f"/bodies/{body.slug}/calendar.ics").walk("VEVENT")]
    second = [e["UID"] for e in fetch(client, f"/bodies/{body.slug}/calendar.ics").walk("VEVENT")]

    assert first == second
    assert len(set(first)) == 2


def test_an_event_feed_lists_its_programme(client):
    event = factories.make_event(title="Assises")
    factories.make_session(event=event, title="Plénière du matin")

    cal = fetch(client, f"/events/{event.slug}/calendar.ics")

    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Plénière du matin"]
    assert cal["X-WR-CALNAME"] == "Assises"


def test_an_unknown_feed_is_a_404(client):
    assert client.get("/bodies/nope/calendar.ics").status_code == 404


def test_uids_do_not_change_with_the_address_used(client, committee_meetings, settings):
    body, *_ = committee_meetings
    settings.ALLOWED_HOSTS = ["plenary.example.org", "testserver", "localhost"]
    settings.PLENARY_SITE_DOMAIN = "plenary.example.org"

    via_one = fetch(client, f"/bodies/{body.slug}/calendar.ics")
    other = client.get(f"/bodies/{body.slug}/calendar.ics", HTTP_HOST="localhost")

    uids = sorted(str(e["UID"]) for e in via_one.walk("VEVENT"))
    assert uids == sorted(
        str(e["UID"]) for e in icalendar.Calendar.from_ical(other.content).walk("VEVENT")
    )
    assert all(uid.endswith("@plenary.example.org") for uid in uids)
