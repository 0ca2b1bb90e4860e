"""An agenda item added after the minutes exist gets its heading, from the server."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from assemblies.models import AgendaItem
from minutes.models import Minutes, MinutesUpdate
from minutes.services import store, workflow
from minutes.services.document import Node, load_doc, read_tree, text_of
from tests import factories
from tests.minutes.documents import current_text, write

# The heading is written once the item is committed (on_commit).
pytestmark = pytest.mark.django_db(transaction=True)


def headings(minutes: Minutes) -> list[str]:
    doc = load_doc(store.load_document(minutes.pk).blobs())
    return [
        text_of(node.children)
        for node in read_tree(doc)
        if isinstance(node, Node) and node.type == "heading"
    ]


def insert_item(session, position: int, title: str) -> AgendaItem:
    """Add an item at ``position``, moving the later ones down, as in the admin."""
    for item in session.agenda_items.filter(position__gte=position).order_by("-position"):
        item.position += 1
        item.save(update_fields=["position"])
    return AgendaItem.objects.create(
        session=session, position=position, title=title, planned_minutes=5
    )


def test_an_item_added_later_gets_its_heading_before_the_next_one(session, note_taker):
    minutes = store.ensure_minutes(session.pk, user=note_taker)
    write(minutes, "Ouverture à 18 h.", item=0, author=note_taker)

    insert_item(session, 3, "Point 2 bis")

    assert headings(minutes) == ["Point 1", "Point 2", "Point 2 bis", "Point 3"]
    assert "Ouverture à 18 h." in current_text(minutes)
    last = MinutesUpdate.objects.filter(minutes=minutes).latest("pk")
    assert last.author_id is None  # written by the server, as the skeleton


def test_an_item_goes_last_when_the_next_heading_was_renamed(session, note_taker):
    minutes = store.ensure_minutes(session.pk, user=note_taker)
    AgendaItem.objects.create(session=session, position=4, title="Questions diverses")

    assert headings(minutes) == ["Point 1", "Point 2", "Point 3", "Questions diverses"]


def test_locked_minutes_and_sessions_without_minutes_are_left_alone(session, organiser):
    minutes = store.ensure_minutes(session.pk, user=organiser)
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)
    count = MinutesUpdate.objects.filter(minutes=minutes).count()

    AgendaItem.objects.create(session=session, position=4, title="Trop tard")

    assert MinutesUpdate.objects.filter(minutes=minutes).count() == count
    assert "Trop tard" not in headings(minutes)
    other = factories.make_session(items=2)  # its items are created without minutes
    assert not Minutes.objects.filter(session=other).exists()


async def test_open_editors_and_readers_get_the_new_heading_live(
    session, note_taker, minutes_client
):
    await database_sync_to_async(store.ensure_minutes)(session.pk, user=note_taker)
    editor = await minutes_client(session.pk, note_taker)
    reader = await minutes_client(session.pk)

    await database_sync_to_async(insert_item)(session, 2, "Point ajouté")

    await reader.wait_for(lambda c: "Point ajouté" in c.text())
    await editor.wait_for(lambda c: "Point ajouté" in c.text())
    assert reader.text().index("Point 1") < reader.text().index("Point ajouté")
    assert reader.text().index("Point ajouté") < reader.text().index("Point 2")
