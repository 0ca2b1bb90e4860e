"""Pages and hooks of the broadcast.

- Ingest hooks, called by RTMP servers, not browsers (no CSRF, no session): each
  names the stream by its secret key. A wrong key gets 403 and changes nothing;
  a body we cannot read gets 400; a broadcast that cannot go live (cancelled,
  replay out) gets 409, which makes nginx-rtmp refuse the encoder.
- The organiser console's form actions (the page's script sends the same actions
  over the socket), the stream settings page, the attendance export.
- The replay's chapters as WebVTT, and the hall check-in with its QR code.

Views read; every change goes through ``streaming.services``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import msgspec
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from assemblies.models import Session
from assemblies.services import presence
from streaming import access
from streaming.exceptions import CheckInClosed, InvalidState, NotAllowed, StreamingError
from streaming.forms import StreamForm
from streaming.models import Stream
from streaming.services import broadcast, chapters, checkin, sources

# -- ingest hooks -------------------------------------------------------------------------


def _hook(action: Callable[[], Stream], *, redirect: bool = False) -> HttpResponse:
    try:
        stream = action()
    except NotAllowed as exc:
        return HttpResponse(exc.message, status=403, content_type="text/plain")
    except StreamingError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain")
    relay = settings.PLENARY_INGEST_RELAY_URL
    if redirect and relay:
        # nginx-rtmp relays the stream to the application that writes HLS, under
        # its public name: the secret key never appears in a playlist's address.
        response = HttpResponse(status=302)
        response["Location"] = f"{relay.rstrip('/')}/{stream.public_name}"
        return response
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
@require_POST
def nginx_rtmp_hook(request: HttpRequest) -> HttpResponse:
    """nginx-rtmp's ``on_publish`` and ``on_publish_done`` (form-encoded, ``name=<key>``)."""
    call, key = request.POST.get("call", ""), request.POST.get("name", "")
    if not key:
        return HttpResponseBadRequest("name is missing", content_type="text/plain")
    if call == "publish":
        return _hook(lambda: broadcast.ingest_started(key, via="nginx-rtmp"), redirect=True)
    if call == "publish_done":
        return _hook(lambda: broadcast.ingest_stopped(key, via="nginx-rtmp"))
    return HttpResponseBadRequest("call must be publish or publish_done", content_type="text/plain")


class MediaMtxHook(msgspec.Struct, forbid_unknown_fields=True):
    """What our documented ``runOnReady`` / ``runOnNotReady`` commands post."""

    event: str
    path: str


class OwncastHook(msgspec.Struct):
    """Owncast's webhook body: only ``type`` matters (other fields are Owncast's)."""

    type: str


@csrf_exempt
@require_POST
def mediamtx_hook(request: HttpRequest) -> HttpResponse:
    """``{"event": "ready" | "notReady", "path": "live/<key>"}`` from MediaMTX's hooks."""
    try:
        body = msgspec.json.decode(request.body, type=MediaMtxHook)
    except msgspec.DecodeError:  # ValidationError included
        return HttpResponseBadRequest("expected {event, path}", content_type="text/plain")
    key = body.path.rstrip("/").rpartition("/")[2]
    if body.event == "ready":
        return _hook(lambda: broadcast.ingest_started(key, via="mediamtx"))
    if body.event == "notReady":
        return _hook(lambda: broadcast.ingest_stopped(key, via="mediamtx"))
    return HttpResponseBadRequest("event must be ready or notReady", content_type="text/plain")


@csrf_exempt
@require_POST
def owncast_hook(request: HttpRequest, key: str) -> HttpResponse:
    """Owncast's webhooks, at an address that holds the session's stream key."""
    try:
        body = msgspec.json.decode(request.body, type=OwncastHook)
    except msgspec.DecodeError:
        return HttpResponseBadRequest("expected an Owncast webhook", content_type="text/plain")
    if body.type == "STREAM_STARTED":
        return _hook(lambda: broadcast.ingest_started(key, via="owncast"))
    if body.type == "STREAM_STOPPED":
        return _hook(lambda: broadcast.ingest_stopped(key, via="owncast"))
    # Chat and visitor events, when the instance sends them too: nothing to do,
    # but the key still has to be right.
    if not Stream.objects.filter(key=key, kind=Stream.Kind.INGEST).exists():
        return HttpResponse(gettext("Unknown stream key."), status=403, content_type="text/plain")
    return HttpResponse(status=204)


# -- the organiser console ---------------------------------------------------------------


def _session_page(pk: int) -> str:
    return reverse("assemblies:session", kwargs={"pk": pk}) + "#broadcast"


def _console_action(request: HttpRequest, pk: int, action: Callable[[], object]) -> HttpResponse:
    try:
        action()
    except NotAllowed:
        raise PermissionDenied from None
    except StreamingError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(_session_page(pk))


@require_POST
def stream_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _console_action(request, pk, lambda: broadcast.start_broadcast(pk, user=request.user))


@require_POST
def stream_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _console_action(request, pk, lambda: broadcast.end_broadcast(pk, user=request.user))


@require_POST
def stream_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _console_action(request, pk, lambda: broadcast.cancel_broadcast(pk, user=request.user))


def _session_to_run(request: HttpRequest, pk: int) -> Session:
    session = get_object_or_404(Session.objects.select_related("body", "event"), pk=pk)
    if not access.access_run_stream(request.user, session):
        raise PermissionDenied
    return session


@never_cache
def stream_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The source, replay and room hours of a session's broadcast; its stream key."""
    session = _session_to_run(request, pk)
    stream = Stream.objects.filter(session=session).first()
    initial = {"kind": Stream.Kind.HLS, "preopen_minutes": 15, "grace_minutes": 30}
    if stream is not None:
        initial = {
            "kind": stream.kind,
            "url": stream.url,
            "replay_url": stream.replay_url,
            "preopen_minutes": stream.preopen_minutes,
            "grace_minutes": stream.grace_minutes,
        }
    form = StreamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            broadcast.configure_stream(pk, user=request.user, **form.cleaned_data)
        except NotAllowed:
            raise PermissionDenied from None
        except StreamingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("The broadcast settings are saved."))
            return HttpResponseRedirect(reverse("streaming:settings", kwargs={"pk": pk}))
    return render(
        request,
        "streaming/stream_settings.html",
        {
            "session": session,
            "stream": stream,
            "form": form,
            "rtmp_url": settings.PLENARY_INGEST_RTMP_URL,
            "ingest_url": sources.ingest_url(stream) if stream else "",
            "hook_urls": {
                "nginx": request.build_absolute_uri(reverse("streaming:hook_nginx")),
                "mediamtx": request.build_absolute_uri(reverse("streaming:hook_mediamtx")),
            },
        },
    )


@require_POST
def stream_new_key(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        broadcast.regenerate_key(pk, user=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except StreamingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("The stream has a new key; the old one no longer works."))
    return HttpResponseRedirect(reverse("streaming:settings", kwargs={"pk": pk}))


@require_GET
def attendance_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Who came, online and in the hall, with minutes present: for the organisers."""
    session = get_object_or_404(Session, pk=pk)
    if not access.access_see_attendance(request.user, session):
        raise PermissionDenied
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            gettext("name"),
            gettext("username"),
            gettext("first joined online"),
            gettext("last left"),
            gettext("minutes present online"),
            gettext("checked in at the hall"),
        ]
    )
    now = timezone.now()
    for row in presence.attendance_log(session):
        writer.writerow(
            [
                _cell(row.user.public_name),
                _cell(row.user.get_username()),
                _time(row.first_joined_at),
                "" if row.open_sockets else _time(row.last_left_at),
                presence.minutes_present(row, now=now),
                _time(row.checked_in_at),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{session.pk}.csv"'
    return response


def _cell(text: str) -> str:
    """Neutralise what a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _time(value: object) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""  # type: ignore[arg-type]


# -- replay and hall ---------------------------------------------------------------------


@require_GET
def chapters_vtt(request: HttpRequest, pk: int) -> HttpResponse:
    """The replay's chapters as a WebVTT ``chapters`` track."""
    session = get_object_or_404(Session, pk=pk)
    if not access.access_watch_stream(request.user, session):
        raise PermissionDenied
    stream = get_object_or_404(Stream, session=session)
    return HttpResponse(chapters.webvtt(stream), content_type="text/vtt; charset=utf-8")


@never_cache
def check_in_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The projector's page: a QR code to check in at the hall, renewed every minute."""
    session = _session_to_run(request, pk)
    url = request.build_absolute_uri(
        reverse("streaming:check_in", kwargs={"pk": pk}) + "?t=" + checkin.make_token(session)
    )
    return render(
        request,
        "streaming/check_in_code.html",
        {"session": session, "qr": checkin.qr_svg(url), "url": url},
    )


@never_cache
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Scanning the code: a logged-in person confirms they are in the hall."""
    session = get_object_or_404(Session, pk=pk)
    token = request.POST.get("t") or request.GET.get("t", "")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not checkin.token_is_valid(session, token):
        return render(
            request, "streaming/check_in.html", {"session": session, "expired": True}, status=403
        )
    if request.method != "POST":
        return render(request, "streaming/check_in.html", {"session": session, "token": token})
    try:
        checkin.check_in(pk, token, user=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except (CheckInClosed, InvalidState) as exc:
        return render(
            request,
            "streaming/check_in.html",
            {"session": session, "closed": exc.message},
            status=409,
        )
    return render(request, "streaming/check_in.html", {"session": session, "done": True})
