"""The hashtag bridge in the browser: imported posts (their content warnings and
Bluesky self-labels, edited and deleted at the source), "also post under #tag"
for messages and questions, the moderators' "send out" buttons and the bridge's
state on their console.

Real servers and Chromium, as in test_chat.py. The bridge's words may not be in
the French catalog yet, so elements are found by role, id and data attributes, and
their text is compared with what the catalog gives (the networks' names, handles
and the posts' own text excepted).
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override, pgettext
from playwright.sync_api import expect

from assemblies.models import Role, Session
from livechat.bridge import secrets
from livechat.bridge.posts import ImportedPost, Media
from livechat.models import BridgeSettings, BridgeState, Message, OutboundPost
from livechat.services import bridge as bridge_services
from livechat.services.messages import post_message
from tests import factories
from tests.e2e.pages import PASSWORD, chat_message, open_chat, post_in_chat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_client_ids = itertools.count(1)


@pytest.fixture
def assises(db) -> Session:
    """A session of an event whose bridge reads and posts on Mastodon; imported
    posts follow the chat's (open) mode, so they reach the room at once."""
    event = factories.make_event(hashtag="assmednum")
    session = factories.make_session(event=event, title="Plénière d’ouverture")
    BridgeSettings.objects.create(
        event=event,
        enabled=True,
        imports=BridgeSettings.Imports.CHAT,
        mastodon_instance="https://mastodon.example",
        mastodon_token=secrets.seal("jeton-de-test"),
    )
    return session


@pytest.fixture
def moderator(assises):
    user = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(user, Role.Kind.MODERATOR, event=assises.event)
    return user


def participant(username: str, name: str):
    return factories.make_user(username, password=PASSWORD, display_name=name)


def imported(session: Session, n: int = 1, **fields: object) -> Message:
    post = ImportedPost(
        **{
            "network": "mastodon",
            "uri": f"https://mastodon.example/users/ana/statuses/{n}",
            "url": f"https://mastodon.example/@ana/{n}",
            "text": "Très bonne intervention sur l’inclusion numérique #assmednum",
            "author_name": "Ana",
            "author_handle": "ana@mastodon.example",
            "author_url": "https://mastodon.example/@ana",
            "created_at": timezone.now(),
            "tags": frozenset({"assmednum"}),
            **fields,
        }
    )
    message = bridge_services.import_post(session.event_id, post)
    assert message is not None
    assert message.status == Message.Status.VISIBLE
    return message


def french(text: str) -> str:
    with override("fr"):
        return gettext(text)


def test_an_imported_post_shows_its_network_handle_and_collapsed_content_warning(
    new_page, assises, screenshots_dir
):
    imported(
        assises,
        content_warning="Politique locale",
        media=(Media(url="https://mastodon.example/media/salle.jpg", alt="Une salle pleine"),),
    )
    awa = participant("awa", "Awa")
    page = new_page()
    open_chat(page, awa, assises)

    post = chat_message(page, "Ana")
    expect(post).to_have_class(re.compile(r"\bchat-msg--imported\b"))
    expect(post).to_have_attribute("data-network", "mastodon")
    expect(post.locator('[data-field="author"]')).to_have_text("Ana")
    expect(post.locator('[data-field="badge"]')).to_have_text("Mastodon")
    handle = post.locator("a.chat-msg__handle")
    expect(handle).to_have_text("@ana@mastodon.example")
    expect(handle).to_have_attribute("href", "https://mastodon.example/@ana")
    expect(handle).to_have_attribute("rel", re.compile(r"\bnoopener\b.*\bugc\b"))

    # The content warning is a closed <details>: the text waits behind its summary.
    warning = post.locator("details.chat-msg__cw")
    assert warning.evaluate("details => details.open") is False
    summary = warning.locator("summary")
    expect(summary).to_contain_text("Politique locale")
    text = post.locator('[data-field="text"]')
    expect(text).to_be_hidden()
    # The media's descriptions are behind the warning too.
    expect(post.locator(".chat-msg__media a")).to_be_hidden()
    page.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-imported.png")
    summary.focus()
    page.keyboard.press("Enter")
    expect(text).to_be_visible()
    expect(text).to_contain_text("inclusion numérique")
    media = post.locator(".chat-msg__media a")
    expect(media).to_contain_text("Une salle pleine")
    expect(media).to_have_attribute("href", "https://mastodon.example/media/salle.jpg")

    original = post.locator(".chat-msg__source a")
    expect(original).to_have_attribute("href", "https://mastodon.example/@ana/1")
    expect(original).to_contain_text("Mastodon")
    # No reply to someone who is not in the room, nor a sanction.
    expect(post.locator('[data-action="reply"]')).to_be_hidden()
    expect(post.locator('[data-action="ban"]')).to_be_hidden()


def test_ticking_also_post_under_the_hashtag_asks_to_share_that_message_only(new_page, assises):
    awa = participant("awa", "Awa")
    page = new_page()
    open_chat(page, awa, assises)
    box = page.locator("#chat-share")
    expect(box).to_be_visible()
    expect(
        page.get_by_label(french("Also post under #%(tag)s") % {"tag": "assmednum"})
    ).to_be_visible()
    expect(box).not_to_be_checked()

    box.check()
    post_in_chat(page, "Le numérique doit rester accessible à tous")
    # One message at a time: the box is cleared once the message is sent.
    expect(box).not_to_be_checked()
    post_in_chat(page, "Et celui-ci reste dans la salle")

    expect(chat_message(page, "Et celui-ci reste")).to_be_visible()
    shared = Message.objects.get(text="Le numérique doit rester accessible à tous")
    assert shared.share_requested is True
    assert shared.needs_review is True  # it goes out once a moderator approves it
    kept = Message.objects.get(text="Et celui-ci reste dans la salle")
    assert kept.share_requested is False


def test_without_a_bridge_that_posts_there_is_no_box_and_no_send_out_button(new_page):
    event = factories.make_event(hashtag="assmednum")
    session = factories.make_session(event=event)
    BridgeSettings.objects.create(event=event, enabled=True, imports=BridgeSettings.Imports.CHAT)
    modo = factories.make_user("modo", password=PASSWORD)
    factories.grant(modo, Role.Kind.MODERATOR, event=event)
    awa = participant("awa", "Awa")
    post_message(session.pk, user=awa, text="Bonjour à tous", client_id="bridge-none-1")
    page, console = new_page(), new_page()
    open_chat(page, awa, session)
    open_chat(console, modo, session)
    expect(chat_message(console, "Bonjour à tous")).to_be_visible()
    expect(page.locator("#chat-share")).to_be_hidden()
    expect(console.locator('[data-action="send-out"]')).to_have_count(0)


def test_a_moderator_sends_a_message_out_and_sees_the_bridges_state(
    new_page, assises, moderator, screenshots_dir
):
    BridgeState.objects.create(
        event=assises.event, network="mastodon", connected=True, last_post_at=timezone.now()
    )
    awa = participant("awa", "Awa")
    message = post_message(
        assises.pk, user=awa, text="Merci aux bénévoles", client_id="bridge-out-1"
    )
    imported(assises)
    console = new_page()
    open_chat(console, moderator, assises)

    section = console.locator("[data-chat-bridge]")
    expect(section).to_be_visible()
    expect(section.get_by_role("heading")).to_contain_text("#assmednum")
    # Mastodon with its account; Bluesky read through Jetstream, not connected yet.
    expect(section.locator(".bridge-state")).to_have_count(2)
    state = section.locator(".bridge-state").filter(has_text="Mastodon")
    expect(state).to_have_class(re.compile(r"\bbridge-state--up\b"))
    bluesky = section.locator(".bridge-state").filter(has_text="Bluesky")
    expect(bluesky).to_have_class(re.compile(r"\bbridge-state--down\b"))
    # A moderator sends messages out with the button: no box for them.
    expect(console.locator("#chat-share")).to_be_hidden()

    # Imported posts cannot be sent back out.
    expect(chat_message(console, "Ana").locator('[data-action="send-out"]')).to_have_count(0)
    send = chat_message(console, "Merci aux bénévoles").locator('[data-action="send-out"]')
    expect(send).to_contain_text("#assmednum")
    send.click()
    expect(send).to_have_attribute("aria-disabled", "true")
    expect(send).to_be_focused()
    expect(console.locator("[data-chat-notice-text]")).to_contain_text("#assmednum")
    console.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-bridge-console.png")
    copies = OutboundPost.objects.filter(message=message)
    assert [copy.network for copy in copies] == ["mastodon"]

    # A network whose credentials were refused shows as stopped, with the error.
    # (Live, the change comes as bridge.status from the bridge's process; here, where
    # nothing links this process to the server's, the console's next snapshot.)
    bridge_services.report_state(
        assises.event_id, "mastodon", connected=False, stopped=True, error="401: refusé"
    )
    console.reload()
    expect(state).to_have_class(re.compile(r"\bbridge-state--stopped\b"))
    expect(state).to_contain_text("401: refusé")


def labelled(text: str) -> str:
    with override("fr"):
        return pgettext("Bluesky label", text)


def test_bluesky_self_labels_collapse_the_post_under_their_readable_names(new_page, assises):
    imported(
        assises,
        network="bluesky",
        uri="at://did:plc:lea/app.bsky.feed.post/3l3qo2vuowo2b",
        url="https://bsky.app/profile/lea.bsky.social/post/3l3qo2vuowo2b",
        author_name="Léa",
        author_handle="lea.bsky.social",
        author_url="https://bsky.app/profile/lea.bsky.social",
        labels=("graphic-media", "sexual", "spoiler-tv", "!no-unauthenticated"),
    )
    page = new_page()
    open_chat(page, participant("awa", "Awa"), assises)
    post = chat_message(page, "Léa")
    summary = post.locator("details.chat-msg__cw > summary")
    expect(summary).to_contain_text(labelled("Graphic media"))
    expect(summary).to_contain_text(labelled("Sexually suggestive"))
    expect(summary).to_contain_text("spoiler tv")  # an unknown value, as its author wrote it
    expect(summary).not_to_contain_text("unauthenticated")  # not about the content
    expect(post.locator('[data-field="text"]')).to_be_hidden()


def test_an_edit_and_a_deletion_at_the_source_reach_open_pages_live(new_page, assises):
    message = imported(assises, external_id="113")
    page = new_page()
    open_chat(page, participant("awa", "Awa"), assises)
    expect(chat_message(page, "inclusion numérique")).to_be_visible()

    post = ImportedPost(
        network="mastodon",
        uri=message.external_uri,
        url=message.external_url,
        text="Intervention corrigée : inclusion et médiation #assmednum",
        author_name="Ana",
        author_handle="ana@mastodon.example",
        author_url="https://mastodon.example/@ana",
        created_at=timezone.now(),
        tags=frozenset({"assmednum"}),
        edited_at=timezone.now(),
    )
    bridge_services.update_post(assises.event_id, post)
    # The server finds the change in the room's log (within its periodic check).
    edited = chat_message(page, "Intervention corrigée")
    expect(edited).to_be_visible(timeout=15_000)
    expect(chat_message(page, "Très bonne intervention")).to_have_count(0)  # replaced in place
    expect(chat_message(page, "Ana")).to_have_count(1)
    expect(edited.locator(".chat-msg__source-edited")).to_contain_text("Mastodon")
    expect(edited.locator('[data-field="edited"]')).to_be_hidden()  # not by the moderators

    bridge_services.remove_post(assises.event_id, "mastodon", status_id="113")
    expect(chat_message(page, "Intervention corrigée")).to_have_count(0, timeout=15_000)


def test_a_question_asked_to_go_out_is_sent_by_a_moderator(new_page, assises, moderator):
    from livechat.models import Question

    awa = participant("awa", "Awa")
    page, console = new_page(), new_page()
    open_chat(page, awa, assises)
    box = page.locator("#question-share")
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    box.check()
    page.locator("#question-text").fill("Quels moyens pour les médiateurs ?")
    page.locator("[data-questions-send]").click()
    expect(page.locator("#question-text")).to_have_value("")
    expect(box).not_to_be_checked()  # chosen question by question
    asked = Question.objects.get(text="Quels moyens pour les médiateurs ?")
    assert asked.share_requested is True

    open_chat(console, moderator, assises)
    expect(console.locator("#question-share")).to_be_hidden()  # moderators use the button
    item = console.locator("[data-questions-lists] li.question").filter(has_text="Quels moyens")
    expect(item.locator('[data-field="share"]')).to_contain_text("#assmednum")
    send = item.locator('[data-action="send-out"]')
    expect(send).to_contain_text("#assmednum")
    send.click()
    expect(send).to_have_attribute("aria-disabled", "true")
    expect(send).to_be_focused()
    copy = OutboundPost.objects.get(question=asked)
    assert copy.network == "mastodon"
    assert "Quels moyens pour les médiateurs ?" in copy.text
    # Participants see their own request, not the button.
    mine = page.locator("[data-questions-lists] li.question").filter(has_text="Quels moyens")
    expect(mine.locator('[data-field="share"]')).to_be_visible()
    expect(mine.locator('[data-action="send-out"]')).to_be_hidden()
