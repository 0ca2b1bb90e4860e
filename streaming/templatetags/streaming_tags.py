"""``{% stream_stage %}``: the video region of the session page.

The session page (an ``assemblies`` template) includes it without ``assemblies``
importing this app. It renders the player for sessions with a broadcast (poster,
player, the "enter the room" button, the organisers' broadcast controls) and hands
the script its starting state and words as ``json_script`` data; the socket's
``stream.state`` then keeps it current.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from assemblies.models import Session
from streaming import access
from streaming.consumers import stream_state
from streaming.models import Stream

register = template.Library()


@register.inclusion_tag("streaming/fragment_stage.html", takes_context=True)
def stream_stage(context: Any) -> dict[str, Any]:
    session: Session = context["session"]
    user = context["request"].user
    stream = Stream.objects.filter(session=session).first()
    can_run = access.access_run_stream(user, session)
    data: dict[str, Any] = {
        "session": session,
        "stream": stream,
        "can_run": can_run,
        "csrf_token": context.get("csrf_token"),
    }
    if stream is None:
        return data
    state = stream_state(session, stream, user)
    data.update(
        {
            "state": state,
            "status_label": Stream.Status(stream.status).label,
            "config": {
                "session": session.pk,
                "startsAt": session.starts_at.isoformat(),
                "hlsModule": static("dist/stream-hls.js"),
                "chapters": reverse("streaming:chapters", kwargs={"pk": session.pk}),
                "canRun": can_run,
            },
            "strings": _strings(),
        }
    )
    return data


def _strings() -> dict[str, Any]:
    """The words the player shows or announces, in the page's language."""
    return {
        "status": {
            "scheduled": pgettext("broadcast status", "Not started"),
            "live": pgettext("broadcast status", "Live"),
            "ended": pgettext("broadcast status", "Ended"),
            "replay": pgettext("broadcast status", "Replay"),
            "cancelled": pgettext("broadcast status", "Cancelled"),
        },
        "started": gettext("The broadcast has started."),
        "ended": gettext("The broadcast has ended."),
        "replay": gettext("The replay is available."),
        "startsIn": gettext("Starts in %(minutes)s min."),
        "viewers": gettext("%(count)s watching"),
        "aboutViewers": gettext("About %(count)s watching"),
        "roomOpensAt": gettext("The room opens at %(time)s."),
        "roomClosed": gettext("The room is closed."),
        "roomOpen": gettext("The room is open."),
        "watchFrom": gettext("Watch from %(time)s"),
        "playFailed": gettext("The video cannot be played here. Try again, or follow in text."),
        "who": {
            "counts": gettext(
                "In the hall: %(hall)s · online: %(online)s · total: %(total)s "
                "(and %(anonymous)s viewers not logged in)"
            ),
            "online": pgettext("attendee", "online"),
            "hall": pgettext("attendee", "in the hall"),
        },
    }
