"""Reading published versions: the current one, one by number, the list.

Minutes published before versions were kept (or written directly, as some tests
do) have ``Minutes.version`` and ``published_html`` but no ``MinutesVersion`` row:
``current_version`` then stands one in, unsaved, so every page reads the same way.
"""

from __future__ import annotations

from minutes.models import Minutes, MinutesVersion
from minutes.services import store
from minutes.services.document import load_doc, render_html


def list_versions(minutes: Minutes) -> list[MinutesVersion]:
    """Every published version, newest first (one query)."""
    found = list(
        MinutesVersion.objects.filter(minutes=minutes)
        .select_related("approved_by")
        .defer("html", "state")
        .order_by("-number")
    )
    for item in found:
        item.minutes = minutes
    if not found and minutes.version > 0:
        found = [current_version(minutes)]
    return found


def get_version(minutes: Minutes, number: int) -> MinutesVersion | None:
    found = (
        MinutesVersion.objects.filter(minutes=minutes, number=number)
        .select_related("approved_by", "published_by")
        .first()
    )
    if found is None and number == minutes.version > 0:
        return current_version(minutes)
    if found is not None:
        found.minutes = minutes
    return found


def current_version(minutes: Minutes) -> MinutesVersion:
    """The latest published version (minutes with ``version`` 1 or more)."""
    found = (
        MinutesVersion.objects.filter(minutes=minutes, number=minutes.version)
        .select_related("approved_by", "published_by")
        .first()
    )
    if found is None:  # published before versions were kept
        found = MinutesVersion(
            minutes=minutes,
            number=minutes.version,
            html=minutes.published_html,
            state=b"",
            approved_at=minutes.approved_at,
            approved_by=minutes.approved_by,
            published_at=minutes.published_at or minutes.created_at,
        )
    found.minutes = minutes
    return found


def current_html(minutes: Minutes) -> str:
    """The document as it stands now, rendered (the review page shows it)."""
    return render_html(load_doc(store.load_document(minutes.pk).blobs()))
