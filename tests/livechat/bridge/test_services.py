"""Posts from the hashtag enter the chat through its moderation, once; messages
go out once per network; the bridge's state reaches the moderators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assemblies.models import AuditEntry, Role, Session
from livechat.bridge import secrets
from livechat.exceptions import BridgeOff, UnknownMessage
from livechat.models import BridgeState, ChatSettings, Message, Network, OutboundPost
from livechat.services import bridge as services
from livechat.services import messages, moderation
from plenary.realtime.rooms import session_moderators_room, session_room
from tests import factories
from tests.livechat.bridge.conftest import make_post

pytestmark = pytest.mark.django_db


def frames(published, room):
    return [frame for r, frame in published if r == room]


def test_an_imported_post_waits_in_the_queue_by_default_with_its_source(
    bridge, event_session, published
):
    message = services.import_post(bridge.event_id, make_post())
    assert message is not None
    assert (message.status, message.held_for) == ("pending", "imported")
    assert frames(published, session_room(event_session.pk)) == []
    queued = [
        f
        for f in frames(published, session_moderators_room(event_session.pk))
        if f["type"] == "chat.queued"
    ]
    assert len(queued) == 1
    item = queued[0]["item"]
    assert (item["status"], item["held_for"]) == ("pending", "imported")
    state = item["message"]
    assert state["author"] == {"id": None, "name": "Ana", "badge": ""}
    assert state["source"] == {
        "network": "mastodon",
        "url": "https://m.example/@ana/1",
        "author_name": "Ana",
        "author_handle": "ana@m.example",
        "author_url": "https://m.example/@ana",
        "content_warning": "",
        "labels": [],
        "media": [{"url": "https://m.example/a.jpg", "alt": "Une salle pleine"}],
        "edited_at": None,
    }
    assert [t["kind"] for t in state["tokens"]] == ["text", "hashtag"]


def test_approving_an_imported_post_shows_it_to_the_room(bridge, event_session, published):
    moderator = factories.make_user("modo")
    factories.grant(moderator, Role.Kind.MODERATOR, event=event_session.event)
    message = services.import_post(bridge.event_id, make_post(content_warning="Politique"))
    moderation.approve_message(message.pk, user=moderator)
    shown = frames(published, session_room(event_session.pk))
    assert [f["type"] for f in shown] == ["chat.message"]
    assert shown[0]["message"]["source"]["content_warning"] == "Politique"


def test_imports_can_follow_the_chats_own_mode(bridge, event_session, published):
    bridge.imports = "chat"
    bridge.save()
    message = services.import_post(bridge.event_id, make_post())
    assert message.status == "visible"
    assert not message.needs_review
    room = frames(published, session_room(event_session.pk))
    assert [f["type"] for f in room] == ["chat.message"]
    ChatSettings.objects.create(session=event_session, mode="post_moderated")
    second = services.import_post(bridge.event_id, make_post(2))
    assert second.status == "visible"
    assert second.needs_review


def test_blocked_words_hold_an_imported_post_even_when_imports_follow_the_chat(
    bridge, event_session, published
):
    bridge.imports = "chat"
    bridge.save()
    ChatSettings.objects.create(session=event_session, blocked_words="arnaque")
    held = services.import_post(bridge.event_id, make_post(text="Quelle arnaque #assmednum"))
    assert (held.status, held.held_for) == ("pending", "blocked_words")
    in_warning = services.import_post(bridge.event_id, make_post(2, content_warning="arnaque"))
    assert in_warning.held_for == "blocked_words"


def test_a_post_seen_twice_is_stored_once(bridge, event_session):
    assert services.import_post(bridge.event_id, make_post()) is not None
    assert services.import_post(bridge.event_id, make_post(text="edited")) is None
    assert Message.objects.filter(session=event_session).count() == 1


def test_posts_go_to_the_live_session_else_the_next_one_else_nowhere(bridge, event):
    assert services.import_post(event.pk, make_post()) is None  # no session at all
    now = timezone.now()
    later = factories.make_session(
        event=event, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2)
    )
    sooner = factories.make_session(
        event=event, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    assert services.target_session(event.pk) == sooner
    later.status = Session.Status.LIVE
    later.save()
    assert services.import_post(event.pk, make_post()).session == later


def test_long_posts_are_cut_and_control_characters_dropped(bridge, event_session):
    message = services.import_post(bridge.event_id, make_post(text="a\x00b" + "x" * 2000))
    assert message.text.startswith("ab")
    assert len(message.text) == services.IMPORT_MAX_LENGTH


def configure_writes(bridge, standin_url="http://127.0.0.1:1"):
    bridge.mastodon_instance = standin_url
    bridge.mastodon_token = secrets.seal("token")
    bridge.save()


def test_a_moderator_sends_a_message_out_once_per_network(bridge, event_session, organiser):
    configure_writes(bridge)
    message = messages.post_message(
        event_session.pk, user=organiser, text="Pause de 10 minutes", client_id="c1"
    )
    assert services.share_message(message.pk, user=organiser) == ["mastodon"]
    assert services.share_message(message.pk, user=organiser) == []
    copy = OutboundPost.objects.get()
    assert copy.text == "Organisatrice : Pause de 10 minutes #AssMedNum"
    assert len(copy.idempotency_key) == 32
    assert AuditEntry.objects.filter(action="chat.share").count() == 1


def test_participants_cannot_send_out_and_nothing_goes_out_without_an_account(
    bridge, event_session, organiser
):
    participant = factories.make_user("habitant")
    message = messages.post_message(
        event_session.pk, user=participant, text="Bonjour", client_id="c1"
    )
    with pytest.raises(UnknownMessage):
        services.share_message(message.pk, user=participant)
    moderation.approve_message(message.pk, user=organiser)
    with pytest.raises(BridgeOff):
        services.share_message(message.pk, user=organiser)


def test_a_participants_share_request_goes_out_once_a_moderator_approves_it(
    bridge, event_session, organiser
):
    configure_writes(bridge)
    participant = factories.make_user("habitant")
    message = messages.post_message(
        event_session.pk, user=participant, text="Merci #assmednum", client_id="c1", share=True
    )
    assert message.status == "visible"
    assert message.needs_review
    assert services.pending_outbound(bridge.event_id, Network.MASTODON) == []
    moderation.approve_message(message.pk, user=organiser)
    [copy] = services.pending_outbound(bridge.event_id, Network.MASTODON)
    assert copy.text == "Habitant : Merci #assmednum"  # already tagged: not twice


def test_our_own_copy_coming_back_is_recognised_by_uri_or_by_text(bridge, event_session, organiser):
    configure_writes(bridge)
    message = messages.post_message(
        event_session.pk, user=organiser, text="Reprise", client_id="c1"
    )
    services.share_message(message.pk, user=organiser)
    copy = OutboundPost.objects.get()
    echo = make_post(text=copy.text, author_id="42", uri="https://m.example/s/9")
    assert services.import_post(bridge.event_id, echo, own_id="42") is None  # before the answer
    services.mark_sent(copy.pk, uri="https://m.example/s/9")
    assert services.import_post(bridge.event_id, make_post(uri="https://m.example/s/9")) is None
    # Someone else quoting the same words is not us.
    assert services.import_post(bridge.event_id, make_post(text=copy.text), own_id="42") is not None


def test_state_changes_reach_the_moderators_and_a_stop_is_logged(bridge, event_session, published):
    bridge.mastodon_instance = "https://m.example"
    bridge.save()
    services.report_state(bridge.event_id, Network.MASTODON, connected=True)
    services.report_state(bridge.event_id, Network.MASTODON, connected=True)  # no change
    services.report_state(
        bridge.event_id,
        Network.MASTODON,
        connected=False,
        error="401: The access token is invalid",
        stopped=True,
    )
    status = frames(published, session_moderators_room(event_session.pk))
    assert [f["type"] for f in status] == ["bridge.status", "bridge.status"]
    assert status[0]["hashtags"] == ["AssMedNum"]
    last = status[1]["networks"][0]
    assert (last["network"], last["connected"], last["stopped"]) == ("mastodon", False, True)
    assert last["last_error"] == "401: The access token is invalid"
    assert AuditEntry.objects.filter(action="chat.bridge_stopped").count() == 1
    assert [c.event_id for c in services.bridge_configs()] == [bridge.event_id]
    assert not services.bridge_configs()[0].reads_mastodon


def test_saving_the_settings_lifts_a_stop_and_keeps_secrets_sealed(
    bridge, event_session, organiser
):
    BridgeState.objects.create(event=bridge.event, network=Network.MASTODON, stopped=True)
    services.configure_bridge(
        bridge.event_id,
        user=organiser,
        enabled=True,
        extra_hashtags="#Ajaccio, plenary",
        imports="queue",
        mastodon_instance="https://m.example/",
        mastodon_token="new-secret-token",
        bluesky_handle="@plenary.bsky.social",
        bluesky_app_password=None,
        bluesky_pds="https://bsky.social",
        jetstream_url="wss://jetstream.example/subscribe",
    )
    bridge.refresh_from_db()
    assert not BridgeState.objects.get().stopped
    assert "new-secret-token" not in bridge.mastodon_token
    assert secrets.unseal(bridge.mastodon_token) == "new-secret-token"
    assert services.hashtags(bridge) == ["AssMedNum", "Ajaccio", "plenary"]
    entry = AuditEntry.objects.get(action="chat.bridge_configure")
    assert "new-secret-token" not in str(entry.data)
    config = services.bridge_configs()[0]
    assert "new-secret-token" not in repr(config)
