"""Pages of the minutes: the published minutes, and the organisers' workflow forms.

Views read; every change goes through ``minutes.services.workflow``. The live
editor itself is a region of the session page (``minutes_panel`` in
``minutes/templatetags/minutes.py``) that the script binds to the minutes socket.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from minutes import access
from minutes.exceptions import InvalidState, NotAllowed
from minutes.models import Minutes
from minutes.services import workflow

ACTIONS: dict[str, Callable[..., Minutes]] = {
    "submit": workflow.submit_minutes,
    "approve": workflow.approve_minutes,
    "publish": workflow.publish_minutes,
    "reopen": workflow.reopen_minutes,
}


def published(request: HttpRequest, pk: int) -> HttpResponse:
    """The published minutes of session ``pk``, readable by everyone."""
    minutes = (
        Minutes.objects.select_related("session", "session__body", "session__event", "approved_by")
        .filter(session_id=pk)
        .first()
    )
    if minutes is None or not access.access_read_published(request.user, minutes):
        raise Http404  # as for a missing session: unpublished minutes are not shown
    return render(
        request,
        "minutes/published.html",
        {
            "minutes": minutes,
            "session": minutes.session,
            # Rendered from the document by an allowlist that escapes every text
            # and attribute (minutes.services.document.render_html).
            "body": mark_safe(minutes.published_html),
        },
    )


@require_POST
def workflow_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Submit, approve, publish or reopen the minutes (organisers; forms, no script)."""
    move = ACTIONS.get(action)
    if move is None:
        raise Http404
    try:
        move(pk, user=request.user)
    except NotAllowed:
        raise Http404 from None
    except InvalidState as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("assemblies:session", kwargs={"pk": pk}) + "#minutes")
