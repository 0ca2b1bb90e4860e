"""Keyboard-only journeys: no mouse event, only page.keyboard (WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.7).

A resident logs in, enters the room when the broadcast starts, posts in the chat
and votes for a question; a moderator hides a message; a note-taker writes in the
minutes. At every stop the focused element must show its focus, and Tab must
always be able to leave a region.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from assemblies.models import Role, Session
from assemblies.services import live
from livechat.services.messages import post_message
from livechat.services.questions import ask_question
from streaming.models import Stream
from streaming.services.broadcast import start_broadcast
from tests import factories
from tests.e2e.pages import (
    PASSWORD,
    assert_focus_visible,
    chat_message,
    is_focused,
    log_in_with_cookie,
    tab_out_of,
    tab_to,
    wait_until_connected,
)
from tests.streaming.media import make_hls, serve_directory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("keyboard-media")
    make_hls(root / "live", seconds=30)
    with serve_directory(root) as url:
        yield url


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Conseil de quartier")


def seed(session: Session, user, text: str) -> None:
    post_message(session.pk, user=user, text=text, client_id=f"kbd-{next(_ids)}")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(new_page, meeting):
    page = new_page()
    page.goto(meeting.get_absolute_url())

    page.keyboard.press("Tab")

    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert_focus_visible(page)
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0, "the skip link stays off screen when focused"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert_focus_visible(page)


def test_headings_are_one_h1_and_never_skip_a_level(new_page, live_server_url, meeting):
    organiser = factories.make_organiser(meeting)
    live.start_session(meeting.pk, user=organiser)
    factories.make_stream(meeting)
    page = new_page()
    log_in_with_cookie(page, organiser, live_server_url)
    addresses = [
        "/",
        meeting.body.get_absolute_url(),
        meeting.get_absolute_url(),
        f"/sessions/{meeting.pk}/chat/settings/",
        f"/sessions/{meeting.pk}/stream/",
        f"/sessions/{meeting.pk}/projector/",
        "/accounts/me/",
        "/accounts/privacy/",
    ]
    for address in addresses:
        page.goto(address)
        page.wait_for_load_state("networkidle")
        levels = page.eval_on_selector_all(
            "h1, h2, h3, h4, h5, h6",
            "(hs) => hs.filter((h) => h.getClientRects().length || h.closest('.visually-hidden'))"
            ".map((h) => Number(h.tagName[1]))",
        )
        assert levels.count(1) == 1, f"{address}: {levels}"
        assert levels[0] == 1, f"{address}: {levels}"
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"{address}: {levels}"


def test_a_resident_logs_in_enters_the_room_posts_and_votes_with_the_keyboard(new_page, media):
    session = factories.make_session(title="Conseil de quartier")
    factories.make_stream(session, kind=Stream.Kind.HLS, url=f"{media}/live/index.m3u8")
    organiser = factories.make_organiser(session)
    resident = factories.make_user("habitante", password=PASSWORD, display_name="Awa")
    neighbour = factories.make_user("voisin", display_name="Paul")
    ask_question(session.pk, user=neighbour, text="Où en est le parc ?", client_id="kbd-q")
    url = session.get_absolute_url()
    page = new_page()
    keys = page.keyboard

    # Log in.
    page.goto(f"/accounts/login/?next={url}")
    tab_to(page, page.locator("#id_username"))
    keys.type(resident.username)
    tab_to(page, page.locator("#id_password"))
    keys.type(PASSWORD)
    keys.press("Enter")
    page.wait_for_url(f"**{url}")
    wait_until_connected(page)

    # Enter the room once the broadcast is live.
    start_broadcast(session.pk, user=organiser)
    enter = page.locator("[data-enter-room]")
    expect(enter).to_be_visible(timeout=20_000)
    tab_to(page, enter)
    keys.press("Enter")
    expect(page.locator("#chat-heading")).to_be_focused()

    # Post in the chat.
    box = page.locator("#chat-text")
    tab_to(page, box)
    keys.type("Bonsoir à tous, j’écoute depuis chez moi")
    keys.press("Enter")
    expect(chat_message(page, "j’écoute depuis chez moi")).to_be_visible()
    expect(box).to_be_focused()
    tab_out_of(page, page.locator(".panel--chat"))

    # Vote for a question.
    vote = page.locator("[data-questions-lists] [data-action='vote']").first
    tab_to(page, vote)
    expect(vote).to_have_attribute("aria-pressed", "false")
    keys.press("Space")
    expect(vote).to_have_attribute("aria-pressed", "true")
    assert_focus_visible(page)
    tab_out_of(page, page.locator(".panel--questions"))


def test_a_moderator_hides_a_message_with_the_keyboard(new_page, live_server_url, meeting):
    organiser = factories.make_organiser(meeting)
    live.start_session(meeting.pk, user=organiser)
    moderator = factories.make_user("modo", display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, body=meeting.body)
    resident = factories.make_user("habitant", display_name="Luc")
    seed(meeting, resident, "Vendez vos meubles sur mon site")
    seed(meeting, resident, "Une vraie question sur le budget")
    page = new_page()
    log_in_with_cookie(page, moderator, live_server_url)
    keys = page.keyboard
    page.goto(meeting.get_absolute_url())
    wait_until_connected(page)
    spam = chat_message(page, "Vendez vos meubles")
    expect(spam).to_be_visible()

    page.locator("#chat-heading").focus()
    tab_to(page, spam.locator('[data-action="hide"]'))
    keys.press("Enter")
    ground = page.locator("#chat-hide-ground")
    expect(ground).to_be_focused()
    assert_focus_visible(page)
    keys.press("ArrowDown")
    tab_to(page, page.locator("#chat-hide-reason"))
    keys.type("Publicité")
    tab_to(page, page.locator("[data-chat-hide-form] button[type=submit]"))
    keys.press("Enter")

    expect(chat_message(page, "Vendez vos meubles")).to_have_count(0)
    expect(chat_message(page, "Une vraie question")).to_be_visible()
    # Focus is handed on, not lost to the page's top.
    assert page.evaluate("document.activeElement !== document.body")
    tab_out_of(page, page.locator(".panel--chat"))


def test_a_note_taker_writes_the_minutes_with_the_keyboard(new_page, live_server_url, meeting):
    writer = factories.make_note_taker(meeting, username="secretaire", display_name="Inès")
    page = new_page()
    log_in_with_cookie(page, writer, live_server_url)
    page.goto(meeting.get_absolute_url())
    minutes = page.locator("[data-minutes]")
    expect(minutes).to_have_attribute("data-state", "synced")
    editor = page.locator("[data-minutes-editor] .ProseMirror")
    expect(editor).to_have_attribute("contenteditable", "true")

    tab_to(page, editor)
    page.keyboard.press("Control+End")
    page.keyboard.type("Le comité adopte le budget participatif.", delay=5)

    expect(editor).to_contain_text("Le comité adopte le budget participatif.")
    assert is_focused(editor)
    tab_out_of(page, editor)
