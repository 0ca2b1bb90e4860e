"""The blocks that tie the minutes to the session: decisions, actions, broadcast times.

Note-takers write them in the editor (frontend/src/minutes-schema.js), which stores
them in y-prosemirror's shape like every other node::

    <decision>Le budget est adopté.</decision>
    <action owner="Awa" due="2025-03-01">Envoyer le devis.</action>
    <paragraph time="754">Intervention de la maire…</paragraph>

``time`` is the broadcast time a paragraph refers to: seconds since the broadcast
started, the replay's own clock (``streaming.services.chapters`` counts the same
way), so the replay seeks there.

The attributes come from browsers, so nothing here trusts them: ``clean_owner``,
``clean_due`` and ``clean_time`` turn whatever is stored into a bounded text, a
real date and a whole number of seconds in range, or nothing. The register
(``minutes.services.register``) and the HTML and Markdown renderers
(``minutes.services.document``, ``minutes.services.export``) read them only
through these functions.

This module imports nothing of the document's so that the renderers can import
its handlers; each handler gets the node (``document.Node``) and its children
already rendered.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.translation import gettext

if TYPE_CHECKING:
    from minutes.services.document import Node

DECISION = "decision"
ACTION = "action"
#: The paragraph attribute holding a broadcast time, in seconds.
TIME = "time"

#: The longest owner kept (the editor's field has the same limit).
OWNER_MAX = 120
#: The longest broadcast time accepted: two days, longer than any session.
TIME_MAX = 48 * 3600
#: Due dates outside these years are typing mistakes, not dates.
YEARS = range(2000, 2101)


def clean_owner(value: Any) -> str:
    """Who an action falls to: a single line of at most ``OWNER_MAX`` characters."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:OWNER_MAX]


def clean_due(value: Any) -> date | None:
    """When an action is due: an ISO date (``2025-03-01``) in a plausible year, or None."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        due = date.fromisoformat(value)
    except ValueError:
        return None
    return due if due.year in YEARS else None


def clean_time(value: Any) -> int | None:
    """A broadcast time: whole seconds from 0 to ``TIME_MAX``, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= TIME_MAX:
        return None
    return int(value)


def format_time(seconds: int) -> str:
    """``754`` -> ``12:34``; past an hour ``1:02:03`` (as the replay's chapters)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"


def iso_duration(seconds: int) -> str:
    """``754`` -> ``PT12M34S``: a ``<time datetime>`` for a moment of the broadcast."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def action_meta(node: Node) -> tuple[str, date | None]:
    """An action's owner and due date, cleaned."""
    return clean_owner(node.attrs.get("owner")), clean_due(node.attrs.get("due"))


def long_date(value: date) -> str:
    """``1 March 2025``, in the active language."""
    return date_format(value, "j F Y")


# -- HTML (minutes.services.document.HTML_NODES) ------------------------------------------


def html_decision(node: Node, inner: str) -> str:
    label = escape(gettext("Decision:"))
    return f'<p class="minutes-decision"><strong>{label}</strong> {inner}</p>'


def html_action(node: Node, inner: str) -> str:
    label = escape(gettext("Action:"))
    owner, due = action_meta(node)
    parts: list[str] = []
    if owner:
        parts.append(escape(gettext("who: %(owner)s") % {"owner": owner}))
    if due is not None:
        when = f'<time datetime="{due.isoformat()}">{escape(long_date(due))}</time>'
        parts.append(escape(gettext("by %(date)s")) % {"date": when})
    meta = f' <span class="minutes-action__meta">({", ".join(parts)})</span>' if parts else ""
    return f'<p class="minutes-action"><strong>{label}</strong> {inner}{meta}</p>'


def html_paragraph(node: Node, inner: str) -> str:
    seconds = clean_time(node.attrs.get(TIME))
    if seconds is None:
        return f"<p>{inner}</p>"
    stamp = (
        f'<time class="minutes-time" datetime="{iso_duration(seconds)}">'
        f"{format_time(seconds)}</time>"
    )
    return f"<p>{stamp} {inner}</p>"


#: The handlers of these blocks, by node type, for ``document.HTML_NODES``.
HTML_HANDLERS = {
    DECISION: html_decision,
    ACTION: html_action,
    "paragraph": html_paragraph,
}
