"""Chapters of a replay: where each agenda item began, counted from the broadcast's start.

They come from the audit log's ``agenda.current`` entries (every move through the
agenda, going back included), not from ``AgendaItem.started_at``, which keeps only
the last time an item became current. The item current when the broadcast
started opens the replay at 0 s. Example of the WebVTT track::

    WEBVTT

    1
    00:00:00.000 --> 00:04:10.500
    Accueil
"""

from __future__ import annotations

from assemblies.models import AuditEntry
from streaming.models import Stream
from streaming.protocol import Chapter


def chapters(stream: Stream) -> list[Chapter]:
    """The replay's chapters in order; empty before the broadcast has started."""
    if stream.started_at is None:
        return []
    moves = AuditEntry.objects.filter(session_id=stream.session_id, action="agenda.current")
    if stream.ended_at is not None:
        moves = moves.filter(created_at__lte=stream.ended_at)
    found: list[Chapter] = []
    for created_at, data in moves.order_by("created_at", "pk").values_list("created_at", "data"):
        item = data.get("item")
        start = max(0.0, (created_at - stream.started_at).total_seconds())
        if found and found[-1].start == start:
            found.pop()  # several moves before the start: the last one holds at 0 s
        if item is None or (found and found[-1].item == item):
            continue
        found.append(Chapter(item=int(item), title=str(data.get("title", "")), start=start))
    return found


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(stream: Stream) -> str:
    """The chapters as a WebVTT ``chapters`` track; the last runs to the broadcast's end."""
    found = chapters(stream)
    end = (
        (stream.ended_at - stream.started_at).total_seconds()
        if stream.ended_at and stream.started_at
        else None
    )
    lines = ["WEBVTT", ""]
    for n, chapter in enumerate(found, start=1):
        following = found[n].start if n < len(found) else end
        if following is None or following <= chapter.start:
            following = chapter.start + 3600.0  # still live: an open-ended chapter
        title = " ".join(chapter.title.split()).replace("-->", "->")
        lines += [str(n), f"{_timestamp(chapter.start)} --> {_timestamp(following)}", title, ""]
    return "\n".join(lines)
