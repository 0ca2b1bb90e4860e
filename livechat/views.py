"""Pages of the live chat: the projector view shown to the hall, exports, and the
moderators' settings page with the moderation log.

Views read and parse; every change goes through ``livechat.services`` (over the
session socket, or a form here). The projector page is a frame the script fills
live from the session's socket, like the session page; the server renders what
it already knows.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from assemblies.models import AuditEntry, Event, Session
from livechat import access
from livechat.bridge import secrets
from livechat.exceptions import ChatError
from livechat.forms import BridgeSettingsForm, ChatSettingsForm
from livechat.models import BridgeSettings, ChatSettings, Ground, Message, Sanction
from livechat.services import bridge, export, moderation, sanctions

#: How many moderation log entries the settings page lists.
LOG_LENGTH = 200
#: What each chat action of the audit log is called on the settings page.
ACTIONS = {
    "chat.hide": gettext_lazy("hid a message"),
    "chat.unhide": gettext_lazy("restored a message"),
    "chat.approve": gettext_lazy("approved a message"),
    "chat.reject": gettext_lazy("rejected a message"),
    "chat.report": gettext_lazy("reported a message"),
    "chat.hold": gettext_lazy("held a message after reports"),
    "chat.ban": gettext_lazy("barred a participant"),
    "chat.timeout": gettext_lazy("paused a participant"),
    "chat.lift": gettext_lazy("let a participant post again"),
    "chat.slow_mode": gettext_lazy("changed slow mode"),
    "chat.configure": gettext_lazy("changed the chat settings"),
    "chat.share": gettext_lazy("sent a message out under the hashtag"),
    "chat.bridge_stopped": gettext_lazy("the hashtag bridge stopped: credentials refused"),
}


def projector(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the question on screen and the most supported ones, full screen, live."""
    session = get_object_or_404(Session.objects.public(), pk=pk)
    if not access.access_read_chat(request.user, session):
        raise Http404  # as for a missing session: existence is not leaked
    return render(
        request,
        "livechat/projector.html",
        {
            "session": session,
            "projector_config": {
                "session": session.pk,
                "socket": f"/ws/sessions/{session.pk}/",
            },
        },
    )


def session_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The chat and questions of a session, for its moderators and organisers."""
    session = get_object_or_404(Session, pk=pk)
    if not access.access_moderate_chat(request.user, session):
        raise Http404  # names of participants: missing and forbidden look the same
    if fmt == "csv":
        body, content_type = export.as_csv(session), "text/csv; charset=utf-8"
    else:
        body, content_type = export.as_markdown(session), "text/markdown; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-chat.{fmt}"'
    return response


def _session_to_moderate(request: HttpRequest, pk: int) -> Session:
    session = get_object_or_404(Session, pk=pk)
    if not access.access_moderate_chat(request.user, session):
        raise Http404  # missing and forbidden look the same
    return session


@login_required
def chat_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The chat's rules, who is barred from posting, and the moderation log."""
    session = _session_to_moderate(request, pk)
    current = ChatSettings.of(session)
    form = ChatSettingsForm(request.POST or None, initial=ChatSettingsForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        try:
            moderation.configure_chat(session.pk, user=request.user, **form.cleaned_data)
        except ChatError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The chat settings are saved."))
            return redirect("livechat:chat_settings", pk=session.pk)
    now = timezone.now()
    barred = (
        Sanction.objects.filter(session=session, lifted_at__isnull=True)
        .exclude(until__lte=now)
        .select_related("user", "created_by")
        .order_by("-created_at")
    )
    return render(
        request,
        "livechat/chat_settings.html",
        {"session": session, "form": form, "barred": barred, "log": _log_rows(session)},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def lift_sanction(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    session = _session_to_moderate(request, pk)
    sanctions.lift_sanction(session.pk, user_id, user=request.user)
    messages.success(request, _("This participant may post again."))
    return redirect("livechat:chat_settings", pk=session.pk)


def _log_rows(session: Session) -> list[dict[str, object]]:
    """The session's chat moderation log, newest first: who, what, on what, why."""
    entries = list(
        AuditEntry.objects.filter(session=session, action__startswith="chat.")
        .select_related("actor")
        .order_by("-created_at", "-pk")[:LOG_LENGTH]
    )
    message_ids = {e.data.get("message") for e in entries} - {None}
    user_ids = {e.data.get("user") for e in entries} - {None}
    texts = dict(Message.objects.filter(pk__in=message_ids).values_list("pk", "text"))
    names = {u.pk: u.public_name for u in User.objects.filter(pk__in=user_ids)}
    grounds = dict(Ground.choices)
    return [
        {
            "at": entry.created_at,
            "who": entry.actor.public_name if entry.actor else _("automatic"),
            "what": ACTIONS.get(entry.action, entry.action),
            "message": texts.get(entry.data.get("message"), ""),
            "participant": names.get(entry.data.get("user"), ""),
            "ground": grounds.get(entry.data.get("ground", ""), ""),
            "reason": entry.data.get("reason", ""),
        }
        for entry in entries
    ]


@login_required
def bridge_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The event's hashtag bridge: tags, accounts (secrets masked), and its state."""
    event = get_object_or_404(Event, slug=slug)
    if not access.access_configure_bridge(request.user, event):
        raise Http404  # missing and forbidden look the same
    current = BridgeSettings.objects.filter(event=event).first() or BridgeSettings(event=event)
    form = BridgeSettingsForm(
        request.POST or None, initial=BridgeSettingsForm.initial_from(current)
    )
    if request.method == "POST" and form.is_valid():
        try:
            bridge.configure_bridge(event.pk, user=request.user, **form.service_arguments())
        except ChatError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The hashtag bridge settings are saved."))
            return redirect("livechat:bridge_settings", slug=event.slug)
    stored = {
        "mastodon_token": secrets.masked(secrets.unseal(current.mastodon_token)),
        "bluesky_app_password": secrets.masked(secrets.unseal(current.bluesky_app_password)),
        "env_mastodon_token": bool(secrets.from_env(secrets.ENV_MASTODON_TOKEN)),
        "env_bluesky_app_password": bool(secrets.from_env(secrets.ENV_BLUESKY_APP_PASSWORD)),
    }
    return render(
        request,
        "livechat/bridge_settings.html",
        {
            "event": event,
            "form": form,
            "stored": stored,
            "status": bridge.bridge_status(event.pk),
            "hashtags": bridge.hashtags(current) if event.hashtag or current.extra_hashtags else [],
        },
        status=400 if form.errors else 200,
    )
