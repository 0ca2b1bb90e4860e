"""An agenda item added once the minutes exist gets its heading, written by the server.

The skeleton is written once, when the minutes are created (``store.ensure_minutes``).
Organisers may add an item later (a point raised during the session, an agenda
completed late): its level-2 heading and an empty paragraph are then added to the
document as one stored update, authored by nobody (as the skeleton), before the
heading of the item that follows it, or at the end when that heading was renamed
or removed by the note-takers, and relayed to open editors like any other. Never
by a browser, for the skeleton's reason: every client would add it. Locked
(approved, published) minutes are left as they are.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from assemblies.models import AgendaItem
from minutes.exceptions import MinutesLocked
from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import heading_update, load_doc

logger = logging.getLogger(__name__)


def add_agenda_heading(item_id: int) -> int | None:
    """Add item ``item_id``'s heading to its session's editable minutes; return the
    stored update's id (None when there are no minutes, or they are locked)."""
    item = AgendaItem.objects.filter(pk=item_id).first()
    if item is None:
        return None
    minutes = Minutes.objects.filter(session_id=item.session_id).first()
    if minutes is None or not minutes.is_editable:
        return None
    following = (
        AgendaItem.objects.filter(session_id=item.session_id, position__gt=item.position)
        .order_by("position")
        .values_list("title", flat=True)
        .first()
    )
    with transaction.atomic():
        doc = load_doc(store.load_document(minutes.pk).blobs())
        update = heading_update(doc, item.title, before=following)
        try:
            return store.append_server_edit(minutes.pk, update, None, "agenda")
        except MinutesLocked:  # approved meanwhile
            return None


def _item_saved(sender: Any, instance: AgendaItem, created: bool, raw: bool, **kwargs: Any) -> None:
    if not created or raw:  # fixtures load the agenda with the minutes already written
        return
    item_id = instance.pk
    transaction.on_commit(lambda: add_agenda_heading(item_id), robust=True)


def connect() -> None:
    post_save.connect(_item_saved, sender=AgendaItem, dispatch_uid="minutes-agenda-heading")
