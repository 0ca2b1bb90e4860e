"""``{% minutes_panel %}``: the minutes region of the session page.

The session page (an ``assemblies`` template) includes it without ``assemblies``
importing this app: the tag reads the session and the viewer from the context and
renders ``minutes/fragment_panel.html`` with what the script needs (socket path,
whether the viewer writes, their name and caret colour) as ``json_script`` data.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from assemblies.models import Session
from minutes import access
from minutes.models import Minutes

register = template.Library()

#: Caret colours: dark enough for white names on them (contrast >= 4.5:1).
CARET_COLOURS = [
    "#b3261e",
    "#1a6b3c",
    "#1f4e9c",
    "#7b3fa0",
    "#8f4a12",
    "#0f6666",
    "#8a1c5c",
    "#4d5b12",
]


def caret_colour(user_id: int) -> str:
    return CARET_COLOURS[user_id % len(CARET_COLOURS)]


@register.inclusion_tag("minutes/fragment_panel.html", takes_context=True)
def minutes_panel(context: Any) -> dict[str, Any]:
    session: Session = context["session"]
    request = context["request"]
    user = request.user
    minutes = Minutes.objects.filter(session=session).select_related("session").first()
    status = minutes.status if minutes else Minutes.Status.DRAFT
    if minutes is not None:
        can_write = access.access_write_minutes(user, minutes)
    else:  # not created yet: the rules of a draft
        can_write = access.access_write_minutes(user, Minutes(session=session))
    can_manage = access.access_manage_minutes(user, session)
    return {
        "session": session,
        "minutes": minutes,
        "status": status,
        "status_label": Minutes.Status(status).label,
        "can_write": can_write,
        "can_manage": can_manage,
        "published_url": reverse("minutes:published", kwargs={"pk": session.pk}),
        "csrf_token": context.get("csrf_token"),
        "config": {
            "socket": f"/ws/minutes/{session.pk}/",
            "canWrite": can_write,
            "status": status,
            "user": (
                {"name": user.public_name, "color": caret_colour(user.pk)}
                if user.is_authenticated
                else None
            ),
        },
        "strings": _strings(),
    }


def _strings() -> dict[str, str]:
    """The words the minutes script shows or announces, in the page's language."""
    return {
        "connecting": gettext("Connecting to the minutes…"),
        "offline": gettext("Offline: your changes are kept and will be sent on reconnection."),
        "synced": gettext("Minutes up to date."),
        "readOnly": gettext("You are reading the minutes live."),
        "locked": gettext("The minutes are locked; reload the page to see their new status."),
        "rejected": gettext("The server refused a change; reload the page."),
        "nobody": gettext("Nobody is writing at the moment."),
        "you": pgettext("who is writing", "%(name)s (you)"),
    }
