"""Pages of the public programme and the organiser console's form actions.

Views read; every change goes through ``assemblies.services``. The console's
buttons are plain forms posting here, so they work without JavaScript; with
JavaScript the page sends the same actions over its socket instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_POST

from assemblies import access, calendars, page_cache
from assemblies.exceptions import NotAllowed, ProgrammeError
from assemblies.models import AgendaItem, Body, Event, Session
from assemblies.services import live


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    sessions = Session.objects.public()
    return render(
        request,
        "assemblies/home.html",
        {
            "live_sessions": list(sessions.live()),
            "upcoming_sessions": list(
                sessions.upcoming(now).filter(starts_at__lte=now + timedelta(days=45))[:12]
            ),
            "bodies": list(Body.objects.select_related("organisation")),
            "events": list(Event.objects.select_related("organisation")),
        },
    )


def body_detail(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body.objects.select_related("organisation"), slug=slug)
    now = timezone.now()
    sessions = Session.objects.public().filter(body=body)
    return render(
        request,
        "assemblies/body_detail.html",
        {
            "body": body,
            "upcoming_sessions": list(sessions.filter(ends_at__gte=now)),
            "past_sessions": list(sessions.filter(ends_at__lt=now).order_by("-starts_at")[:20]),
        },
    )


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("organisation", "body"), slug=slug)
    sessions = Session.objects.public().filter(event=event).prefetch_related("agenda_items")
    days = [
        (day, list(group))
        for day, group in groupby(sessions, key=lambda s: timezone.localdate(s.starts_at))
    ]
    return render(request, "assemblies/event_detail.html", {"event": event, "days": days})


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The session page. Logged-out visitors share one render per language
    (``assemblies.page_cache``), each with their own CSRF token."""
    key = page_cache.page_key(request, pk)
    cached = page_cache.cached_page(key)
    if cached is not None:
        return page_cache.page_response(request, cached)
    session = get_object_or_404(
        Session.objects.public().prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position"))
        ),
        pk=pk,
    )
    if not access.access_view_session(request.user, session):
        raise PermissionDenied
    can_run = access.access_run_session(request.user, session)
    context = {
        "session": session,
        "agenda": list(session.agenda_items.all()),
        "can_run": can_run,
        "page_config": {
            "session": session.pk,
            "socket": f"/ws/sessions/{session.pk}/",
            "canRun": can_run,
        },
        "strings": _session_page_strings(),
    }
    if key is None:
        return render(request, "assemblies/session_detail.html", context)
    context["csrf_token"] = page_cache.csrf_marker()
    html = render_to_string("assemblies/session_detail.html", context, request=request)
    page_cache.store_page(key, html)
    return page_cache.page_response(request, html)


def _session_page_strings() -> dict[str, object]:
    """The words the session page's script shows or announces, in the page's language."""
    return {
        "status": {
            "scheduled": pgettext("session status", "Scheduled"),
            "live": pgettext("session status", "Live"),
            "ended": pgettext("session status", "Ended"),
            "cancelled": pgettext("session status", "Cancelled"),
        },
        "announce": {
            "live": gettext("The session has started."),
            "ended": gettext("The session has ended."),
            "item": gettext("Now on the agenda: %(title)s"),
        },
        "connecting": gettext("Connecting to the live session…"),
        "reconnecting": gettext("Connection lost. Reconnecting…"),
        "gone": gettext("This session is no longer available."),
    }


def _console_action(
    request: HttpRequest, pk: int, action: Callable[[], object]
) -> HttpResponseRedirect:
    try:
        action()
    except NotAllowed:
        raise PermissionDenied from None
    except ProgrammeError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("assemblies:session", kwargs={"pk": pk}) + "#console")


@require_POST
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _console_action(request, pk, lambda: live.start_session(pk, user=request.user))


@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _console_action(request, pk, lambda: live.end_session(pk, user=request.user))


@require_POST
def agenda_advance(request: HttpRequest, pk: int) -> HttpResponse:
    after = request.POST.get("after", "")
    expected = int(after) if after.isdigit() else None
    return _console_action(
        request, pk, lambda: live.advance_agenda(pk, user=request.user, after=expected)
    )


@require_POST
def agenda_select(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    return _console_action(
        request, pk, lambda: live.select_agenda_item(pk, item_id, user=request.user)
    )


def event_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    sessions = Session.objects.public().filter(event=event).prefetch_related("agenda_items")
    return calendars.calendar_response(
        request, name=event.title, sessions=sessions, filename=f"{event.slug}.ics"
    )


def body_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body, slug=slug)
    sessions = Session.objects.public().filter(body=body).prefetch_related("agenda_items")
    return calendars.calendar_response(
        request, name=body.name, sessions=sessions, filename=f"{body.slug}.ics"
    )
