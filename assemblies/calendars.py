"""iCalendar (RFC 5545) feeds of an event's programme and a body's meetings.

Each session is a VEVENT whose UID is stable (``session-<pk>@<site domain>``, the
``PLENARY_SITE_DOMAIN`` setting, not the host the feed was fetched from), so a
calendar client that subscribes updates the same entry when the session moves or
is cancelled, whichever address it used. Times are written in Europe/Paris with its
VTIMEZONE definition, which is what calendar clients need to show 20:30 as 20:30
all year round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from assemblies.models import Session

PARIS = ZoneInfo("Europe/Paris")


def session_uid(session: Session, host: str) -> str:
    return f"session-{session.pk}@{host}"


def _description(session: Session) -> str:
    lines = [session.description.strip()] if session.description.strip() else []
    items = list(session.agenda_items.all())
    if items:
        if lines:
            lines.append("")
        lines += [f"{item.position}. {item.title}" for item in items]
    return "\n".join(lines)


def build_calendar(
    *, name: str, sessions: Iterable[Session], host: str, base_url: str
) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Plenary//Programme//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    cal.add_component(paris_vtimezone())
    stamp = timezone.now()
    for session in sessions:
        vevent = icalendar.Event()
        vevent.add("uid", session_uid(session, host))
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", session.starts_at.astimezone(PARIS))
        vevent.add("dtend", session.ends_at.astimezone(PARIS))
        vevent.add("summary", session.title)
        if description := _description(session):
            vevent.add("description", description)
        if session.venue is not None:
            vevent.add("location", session.venue.location)
        vevent.add("url", base_url + session.get_absolute_url())
        cancelled = session.status == Session.Status.CANCELLED
        vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(vevent)
    return cal


def paris_vtimezone() -> icalendar.Timezone:
    """Europe/Paris as calendar clients write it: the EU summer-time rule since 1996."""
    tz = icalendar.Timezone()
    tz.add("tzid", "Europe/Paris")
    tz.add("x-lic-location", "Europe/Paris")
    for kind, name, start, month, before, after in (
        (icalendar.TimezoneDaylight, "CEST", datetime(1996, 3, 31, 2), 3, 1, 2),
        (icalendar.TimezoneStandard, "CET", datetime(1996, 10, 27, 3), 10, 2, 1),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("tzoffsetfrom", timedelta(hours=before))
        part.add("tzoffsetto", timedelta(hours=after))
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        tz.add_component(part)
    return tz


def calendar_response(
    request: HttpRequest, *, name: str, sessions: Iterable[Session], filename: str
) -> HttpResponse:
    host = settings.PLENARY_SITE_DOMAIN
    base_url = f"{request.scheme}://{request.get_host()}"
    cal = build_calendar(name=name, sessions=sessions, host=host, base_url=base_url)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
