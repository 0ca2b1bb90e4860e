"""Posts edited or deleted at the source: the chat follows, live, through its
moderation (an edit with a blocked word goes back to review), and the room and
the moderators hear of it with the exact frames."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from livechat.models import ChatSettings, Message, Network
from livechat.services import bridge as services
from livechat.services import moderation
from plenary.realtime.rooms import session_moderators_room, session_room
from tests.livechat.bridge.conftest import make_post

pytestmark = pytest.mark.django_db

EDITED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def frames(published, room):
    return [frame for r, frame in published if r == room]


def shown(bridge, n: int = 1, **fields) -> Message:
    """An imported post the room sees (imports follow the open chat)."""
    bridge.imports = "chat"
    bridge.save()
    message = services.import_post(bridge.event_id, make_post(n, **fields))
    assert message is not None
    assert message.status == "visible"
    return message


def test_an_edit_replaces_the_text_live_and_says_it_was_edited_at_the_source(
    bridge, event_session, published
):
    message = shown(bridge, external_id="113")
    published.clear()
    changed = services.update_post(
        bridge.event_id,
        make_post(text="<b>Corrigé</b> #AssMedNum\x00", content_warning="CW", edited_at=EDITED),
    )
    assert [m.pk for m in changed] == [message.pk]
    message.refresh_from_db()
    assert (message.text, message.content_warning) == ("<b>Corrigé</b> #AssMedNum", "CW")
    room = frames(published, session_room(event_session.pk))
    assert [f["type"] for f in room] == ["chat.message"]
    state = room[0]["message"]
    assert state["id"] == message.pk
    assert state["text"] == "<b>Corrigé</b> #AssMedNum"  # plain text, tokenised as usual
    assert state["edited"] is False  # not by the moderators
    assert state["source"]["edited_at"] == "2026-11-25T09:00:00Z"
    assert state["source"]["content_warning"] == "CW"
    # Imports follow the chat here: no moderator approved this post, none needs to again.
    assert frames(published, session_moderators_room(event_session.pk)) == []


def test_an_edit_with_a_blocked_word_takes_the_post_out_of_the_room_back_to_review(
    bridge, event_session, published
):
    message = shown(bridge)
    ChatSettings.objects.create(session=event_session, blocked_words="arnaque")
    published.clear()
    services.update_post(bridge.event_id, make_post(text="Quelle arnaque #AssMedNum"))
    message.refresh_from_db()
    assert (message.status, message.held_for) == ("pending", "blocked_words")
    assert frames(published, session_room(event_session.pk)) == [
        {"type": "chat.removed", "seq": 2, "id": message.pk, "status": "pending"}
    ]
    [queued] = frames(published, session_moderators_room(event_session.pk))
    assert queued["type"] == "chat.queued"
    assert (queued["item"]["held_for"], queued["item"]["matched"]) == ("blocked_words", ["arnaque"])
    assert queued["item"]["message"]["text"] == "Quelle arnaque #AssMedNum"


def test_an_approved_post_that_changes_stays_shown_and_goes_back_to_the_queue(
    bridge, event_session, organiser, published
):
    message = services.import_post(bridge.event_id, make_post())  # queued by default
    moderation.approve_message(message.pk, user=organiser)
    published.clear()
    services.update_post(bridge.event_id, make_post(text="Autre chose #AssMedNum"))
    message.refresh_from_db()
    assert (message.status, message.needs_review) == ("visible", True)
    assert [f["type"] for f in frames(published, session_room(event_session.pk))] == [
        "chat.message"
    ]
    [queued] = frames(published, session_moderators_room(event_session.pk))
    assert (queued["item"]["status"], queued["item"]["held_for"]) == ("visible", "")


def test_a_waiting_post_is_edited_in_the_queue_only_and_never_published_by_an_edit(
    bridge, event_session, published
):
    ChatSettings.objects.create(session=event_session, blocked_words="arnaque")
    message = services.import_post(bridge.event_id, make_post(text="Une arnaque #AssMedNum"))
    assert message.held_for == "blocked_words"
    published.clear()
    services.update_post(bridge.event_id, make_post(text="Une erreur #AssMedNum"))
    message.refresh_from_db()
    assert (message.status, message.held_for) == ("pending", "imported")
    assert frames(published, session_room(event_session.pk)) == []
    [queued] = frames(published, session_moderators_room(event_session.pk))
    assert queued["item"]["message"]["text"] == "Une erreur #AssMedNum"
    assert queued["item"]["matched"] == []


def test_an_edit_that_changes_nothing_shown_sends_nothing(bridge, event_session, published):
    shown(bridge)
    published.clear()
    assert services.update_post(bridge.event_id, make_post(edited_at=EDITED)) == []
    assert published == []


def test_an_edit_of_a_post_not_stored_imports_it_and_a_removed_one_stays_removed(
    bridge, event_session, organiser
):
    services.update_post(bridge.event_id, make_post(7, text="Ajout du tag #AssMedNum"))
    added = Message.objects.get(external_uri=make_post(7).uri)
    assert added.text == "Ajout du tag #AssMedNum"
    moderation.reject_message(added.pk, user=organiser)
    assert services.update_post(bridge.event_id, make_post(7, text="Retour")) == []
    added.refresh_from_db()
    assert (added.status, added.text) == ("rejected", "Ajout du tag #AssMedNum")
    assert Message.objects.filter(external_uri=make_post(7).uri).count() == 1


def test_a_post_deleted_at_the_source_leaves_the_room_and_its_text_goes(
    bridge, event_session, published
):
    message = shown(bridge, external_id="113")
    published.clear()
    assert services.remove_post(bridge.event_id, Network.MASTODON, status_id="113") == 1
    message.refresh_from_db()
    assert (message.status, message.text, message.media) == ("deleted", "", [])
    assert frames(published, session_room(event_session.pk)) == [
        {"type": "chat.removed", "seq": 2, "id": message.pk, "status": "deleted"}
    ]
    assert frames(published, session_moderators_room(event_session.pk)) == []
    # Announced on each of its tags' streams: the second time changes nothing.
    assert services.remove_post(bridge.event_id, Network.MASTODON, status_id="113") == 0
    assert len(published) == 1


def test_a_deleted_post_waiting_for_review_leaves_the_queue_only(bridge, event_session, published):
    message = services.import_post(bridge.event_id, make_post(network=Network.BLUESKY))
    published.clear()
    removed = services.remove_post(bridge.event_id, Network.BLUESKY, uri=message.external_uri)
    assert removed == 1
    assert frames(published, session_room(event_session.pk)) == []
    assert frames(published, session_moderators_room(event_session.pk)) == [
        {"type": "chat.unqueued", "id": message.pk}
    ]
    # Another network's post with the same id, or no id at all, is not touched.
    assert services.remove_post(bridge.event_id, Network.MASTODON, uri=message.external_uri) == 0
    assert services.remove_post(bridge.event_id, Network.BLUESKY) == 0


def test_bluesky_self_labels_reach_the_page_as_they_are(bridge, event_session, published):
    message = shown(bridge, network=Network.BLUESKY, labels=("graphic-media", "spoiler"))
    assert message.labels == ["graphic-media", "spoiler"]
    [frame] = frames(published, session_room(event_session.pk))
    assert frame["message"]["source"]["labels"] == ["graphic-media", "spoiler"]
    assert frame["message"]["source"]["content_warning"] == ""
    assert services.imported_uris(bridge.event_id, Network.BLUESKY) == {message.external_uri}


@pytest.mark.parametrize(
    ("mode", "status", "needs_review"),
    [("pre_moderated", "pending", False), ("post_moderated", "visible", True)],
)
def test_an_edit_goes_through_the_chats_moderation_as_a_new_post_would(
    bridge, event_session, organiser, published, mode, status, needs_review
):
    message = shown(bridge)
    ChatSettings.objects.create(session=event_session, mode=mode)
    published.clear()

    services.update_post(bridge.event_id, make_post(text="Autre chose #AssMedNum"))

    message.refresh_from_db()
    assert (message.status, message.needs_review) == (status, needs_review)
    [queued] = frames(published, session_moderators_room(event_session.pk))
    assert queued["item"]["message"]["text"] == "Autre chose #AssMedNum"
    room = [f["type"] for f in frames(published, session_room(event_session.pk))]
    assert room == (["chat.removed"] if status == "pending" else ["chat.message"])
