"""``{% minutes_panel %}``: the minutes region of the session page.

The session page (an ``assemblies`` template) includes it without ``assemblies``
importing this app: the tag reads the session and the viewer from the context and
renders ``minutes/fragment_panel.html`` with what the script needs (socket path,
whether the viewer writes, their name and caret colour) as ``json_script`` data.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from assemblies.models import Session
from minutes import access
from minutes.models import Minutes, MinutesVersion
from minutes.services import store
from minutes.services.register import Register, minutes_register, version_register

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
        if can_write:  # a writer's editor needs them (and their id: _local_copy)
            minutes = store.ensure_minutes(session.pk, user=user)
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
            "localCopy": _local_copy(user, minutes),
            "user": (
                {"name": user.public_name, "color": caret_colour(user.pk)}
                if user.is_authenticated
                else None
            ),
        },
        "strings": _strings(),
        "register": minutes_register(minutes.pk) if minutes is not None else Register(),
    }


def _local_copy(user: Any, minutes: Minutes | None) -> str | None:
    """The name of this person's copy of the minutes in their browser (IndexedDB),
    where a writer's edits outlive a reload while offline; per minutes (a new
    document is a new name) and per person (a shared computer)."""
    if minutes is None or not user.is_authenticated:
        return None
    return f"plenary-minutes-{minutes.pk}-{user.pk}"


@register.inclusion_tag("minutes/fragment_register.html")
def version_register_list(version: MinutesVersion, level: int = 2) -> dict[str, Any]:
    """The decision register of a published version, titled at ``level`` (if any)."""
    return {"register": version_register(version), "level": level, "prefix": "register"}


#: A broadcast time as ``render_html`` writes it (``minutes.services.blocks``); text
#: from the document is escaped there, so only the renderer writes this element.
_TIME = re.compile(
    r'<time class="minutes-time" datetime="PT(?:(\d+)H)?(?:(\d+)M)?(\d+)S">([0-9:]+)</time>'
)


@register.filter
def link_times(html: str, session: Session) -> SafeString:
    """Link the broadcast times of published minutes to that moment of the replay.

    The session page seeks its replay to ``#t=<seconds>`` (frontend/src/player.js).
    ``html`` is the published HTML, already safe (the allowlist renderer's).
    """
    url = escape(session.get_absolute_url())

    def link(match: re.Match[str]) -> str:
        hours, minutes, seconds = (int(part or 0) for part in match.group(1, 2, 3))
        at = hours * 3600 + minutes * 60 + seconds
        label = escape(gettext("Watch the replay from %(time)s") % {"time": match.group(4)})
        return (
            f'<a class="minutes-time-link" href="{url}#t={at}" aria-label="{label}">{match[0]}</a>'
        )

    return mark_safe(_TIME.sub(link, html))  # adds only the renderer's own markup


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
        **block_strings(),
    }


def block_strings() -> dict[str, str]:
    """The words of the decision, action and time blocks and of the register.

    The editor's schema (frontend/src/minutes-schema.js) shows them, so every page
    that renders the minutes' document passes them to it.
    """
    return {
        "decision": gettext("Decision:"),
        "action": gettext("Action:"),
        "owner": gettext("who: %(owner)s"),
        "due": gettext("by %(date)s"),
        "item": gettext("Agenda item: %(item)s"),
        "watchFrom": gettext("Watch the replay from %(time)s"),
        "timeLabel": gettext("Broadcast time %(time)s"),
        "timePrompt": gettext(
            "Broadcast time of this paragraph, as 1:02:03 or 12:34 (leave empty to remove it):"
        ),
        "timeInvalid": gettext("That is not a time: write it as 1:02:03 or 12:34."),
        "timeMarked": gettext("Time %(time)s marked on the paragraph."),
        "timeRemoved": gettext("Time removed from the paragraph."),
        "noParagraph": gettext("Put the cursor in a paragraph first."),
        "quoted": gettext("Quoted in the minutes."),
        "quoteMessage": gettext("— %(author)s in the chat, %(time)s"),
        "quoteQuestion": gettext("— question from %(author)s, %(time)s"),
        "quoteItem": gettext("%(line)s, agenda item “%(item)s”"),
    }
