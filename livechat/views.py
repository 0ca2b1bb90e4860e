"""Pages of the live chat: the projector view shown to the hall, and exports.

Views read; every change goes through ``livechat.services`` (over the session
socket). The projector page is a frame the script fills live from the session's
socket, like the session page; the server renders what it already knows.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from assemblies.models import Session
from livechat import access
from livechat.services import export


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
