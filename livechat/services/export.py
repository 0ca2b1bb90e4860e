"""A session's chat and questions as CSV (for spreadsheets) and Markdown (to read).

Both are for the session's moderators and organisers: they hold participants'
names. Times are in the site's time zone; each line names the agenda item that
was current when it was posted. Hidden and deleted messages are listed with
their status (a deleted message's text is already gone), so the export is also a
record of moderation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from assemblies.models import Session
from livechat.models import Message, Question

# Cells starting with these are formulas to a spreadsheet: neutralise them.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Line:
    kind: str  # "message" or "question"
    id: int
    at: datetime
    author: str
    agenda_item: str
    status: str
    votes: int | None
    reply_to: int | None
    text: str


def lines(session: Session) -> Iterator[Line]:
    """Every message, then every question, in the order they were posted."""
    messages = Message.objects.filter(session=session).select_related("author", "agenda_item")
    for m in messages.order_by("pk"):
        yield Line(
            "message",
            m.pk,
            m.created_at,
            m.author.public_name if m.author else "",
            m.agenda_item.title if m.agenda_item else "",
            m.status,
            None,
            m.reply_to_id,
            m.text,
        )
    questions = Question.objects.filter(session=session).select_related("author", "agenda_item")
    for q in questions.order_by("pk"):
        yield Line(
            "question",
            q.pk,
            q.created_at,
            q.author.public_name if q.author else "",
            q.agenda_item.title if q.agenda_item else "",
            q.status,
            q.votes,
            None,
            q.text,
        )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def as_csv(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["kind", "id", "time", "author", "agenda_item", "status", "votes", "reply_to", "text"]
    )
    for line in lines(session):
        at = timezone.localtime(line.at).isoformat(timespec="seconds")
        row = [line.kind, line.id, at, line.author, line.agenda_item, line.status]
        writer.writerow([_cell(v) for v in [*row, line.votes, line.reply_to, line.text]])
    return "\ufeff" + out.getvalue()  # the BOM makes spreadsheets read UTF-8


def _md(text: str) -> str:
    """Participant text inside Markdown: no HTML, no accidental headings or lists."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def as_markdown(session: Session) -> str:
    all_lines = list(lines(session))
    out = [f"# {_md(session.title)}", ""]
    out += [f"## {gettext('Chat')}", ""]
    messages = [line for line in all_lines if line.kind == "message"]
    for line in messages:
        at = timezone.localtime(line.at).strftime("%H:%M")
        item = f" ({_md(line.agenda_item)})" if line.agenda_item else ""
        status = "" if line.status == Message.Status.VISIBLE else f" [{line.status}]"
        out.append(f"- {at} **{_md(line.author)}**{item}{status}: {_md(line.text)}")
    if not messages:
        out.append(gettext("No message."))
    out += ["", f"## {gettext('Questions')}", ""]
    questions = sorted(
        (line for line in all_lines if line.kind == "question"),
        key=lambda line: (-(line.votes or 0), line.id),
    )
    for line in questions:
        item = f" ({_md(line.agenda_item)})" if line.agenda_item else ""
        count = line.votes or 0
        votes = ngettext("%(count)d vote", "%(count)d votes", count) % {"count": count}
        out.append(f"- **{_md(line.author)}**{item}, {votes} [{line.status}]: {_md(line.text)}")
    if not questions:
        out.append(gettext("No question."))
    return "\n".join(out) + "\n"
