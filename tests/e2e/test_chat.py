"""Participants chat during a session, a moderator hides a message, nothing they type runs.

The chat's own words may not be in the French catalog yet, so elements are found by
role, id and data attributes rather than by their new visible text.
"""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from assemblies.models import Role, Session
from livechat.models import Message
from livechat.services.messages import post_message
from tests import factories
from tests.e2e.pages import PASSWORD, open_chat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_client_ids = itertools.count(1)

XSS_CORPUS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=1</script>",
    "javascript:window.__xss=1",
    '"><svg onload=window.__xss=1>',
    'https://example.org/"><img src=x onerror=window.__xss=1>',
]


def post(page, text: str) -> None:
    box = page.locator("#chat-text")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def chat_log(page):
    return page.get_by_role("log")


def message(page, text: str):
    return page.locator("[data-chat-list] > li").filter(has_text=text)


def seed(session: Session, user, text: str, reply_to: Message | None = None) -> Message:
    return post_message(
        session.pk,
        user=user,
        text=text,
        client_id=f"seed-{next(_client_ids)}",
        reply_to=reply_to.pk if reply_to else None,
    )


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Réunion du comité")


def test_two_participants_chat_and_reply_without_reloading(new_page, meeting):
    awa = factories.make_user("awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_user("paul", password=PASSWORD, display_name="Paul")
    a, b = new_page(), new_page()
    open_chat(a, awa, meeting)
    open_chat(b, paul, meeting)
    b.evaluate("window.__sameDocument = true")

    post(a, "Bonjour à tous, où en est le point 2 ?")

    question = message(b, "Bonjour à tous")
    expect(question).to_be_visible()
    expect(question.locator(".chat-msg__author")).to_have_text("Awa")
    expect(question.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(chat_log(b)).to_have_attribute("aria-live", "polite")

    question.locator('[data-action="reply"]').click()
    expect(b.locator("[data-chat-replying]")).to_be_visible()
    expect(b.locator("#chat-text")).to_be_focused()
    post(b, "Nous y arrivons dans dix minutes.")
    expect(b.locator("[data-chat-replying]")).to_be_hidden()

    answer = message(a, "Nous y arrivons")
    expect(answer).to_be_visible()
    expect(answer.locator(".chat-msg__reply")).to_contain_text("Awa")
    expect(answer.locator(".chat-msg__reply q")).to_have_text(
        "Bonjour à tous, où en est le point 2 ?"
    )
    # Only one's own messages can be deleted.
    mine = a.locator("[data-chat-list] > li").first
    expect(mine.locator('[data-action="delete"]')).to_be_visible()
    expect(answer.locator('[data-action="delete"]')).to_be_hidden()
    assert b.evaluate("window.__sameDocument") is True


def test_a_moderator_hides_a_message_and_it_leaves_every_page(new_page, meeting):
    moderator = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, body=meeting.body)
    resident = factories.make_user("habitant", password=PASSWORD, display_name="Jules")
    neighbour = factories.make_user("voisine", display_name="Lina")
    off_topic = seed(meeting, resident, "Un message hors sujet")
    seed(meeting, resident, "Une vraie question")
    seed(meeting, neighbour, "Je ne suis pas d’accord", reply_to=off_topic)

    watcher, console = new_page(), new_page()
    open_chat(watcher, resident, meeting)
    open_chat(console, moderator, meeting)
    reply = message(watcher, "Je ne suis pas d’accord")
    expect(reply.locator(".chat-msg__reply q")).to_have_text("Un message hors sujet")
    expect(message(watcher, "Un message hors sujet").first).to_be_visible()
    expect(console.locator("[data-chat-moderation]")).to_be_visible()
    expect(watcher.locator("[data-chat-moderation]")).to_be_hidden()
    expect(message(watcher, "Une vraie question").locator('[data-action="hide"]')).to_be_hidden()

    message(console, "Un message hors sujet").first.locator('[data-action="hide"]').click()
    expect(console.locator("#chat-hide-ground")).to_be_focused()
    console.locator("#chat-hide-reason").fill("Hors sujet")
    console.locator("[data-chat-hide-form] button[type=submit]").click()

    expect(message(watcher, "Un message hors sujet")).to_have_count(0)
    expect(message(console, "Un message hors sujet")).to_have_count(0)
    expect(message(watcher, "Une vraie question")).to_be_visible()
    # The reply stays, without the hidden message's words.
    expect(reply).to_be_visible()
    expect(reply.locator(".chat-msg__reply")).to_be_hidden()
    expect(console.locator("[data-chat-undo]")).to_be_focused()


def test_what_participants_type_is_shown_as_text_and_never_runs(new_page, meeting):
    author = factories.make_user("malicieux", password=PASSWORD, display_name="Mallory")
    reader = factories.make_user("lectrice", password=PASSWORD, display_name="Inès")
    page, other = new_page(), new_page()
    open_chat(page, author, meeting)
    open_chat(other, reader, meeting)

    for text in XSS_CORPUS:
        post(page, text)

    for viewer in (page, other):
        log = chat_log(viewer)
        expect(viewer.locator("[data-chat-list] > li")).to_have_count(len(XSS_CORPUS))
        for text in XSS_CORPUS:
            expect(log).to_contain_text(text)
        assert log.locator("img, script, svg, iframe, object").count() == 0
        assert viewer.evaluate("typeof window.__xss") == "undefined"
        links = log.locator("a")
        expect(links).to_have_count(1)
        expect(links).to_have_attribute("href", "https://example.org/")
        expect(links).to_have_attribute("rel", "nofollow noopener ugc")
        expect(links).to_have_attribute("target", "_blank")


def test_an_anonymous_visitor_reads_the_chat_and_is_invited_to_log_in(new_page, meeting):
    resident = factories.make_user("habitante", display_name="Awa")
    seed(meeting, resident, "Bienvenue à la réunion #CachanCentre")
    seed(meeting, resident, "La salle est pleine")
    page = new_page()

    page.goto(meeting.get_absolute_url())

    expect(message(page, "Bienvenue à la réunion")).to_be_visible()
    expect(message(page, "La salle est pleine")).to_be_visible()
    login = page.locator("[data-chat-login]")
    expect(login).to_be_visible()
    expect(login).to_have_attribute("href", f"/accounts/login/?next={meeting.get_absolute_url()}")
    expect(page.locator("[data-chat-form]")).to_have_count(0)
    expect(page.locator("#chat-text")).to_have_count(0)
    expect(page.locator('[data-chat-list] [data-action="reply"]').first).to_be_hidden()

    # A hashtag filters the log down to its messages, until the filter is cleared.
    hashtag = message(page, "Bienvenue").locator(".chat-msg__hashtag")
    hashtag.click()
    expect(hashtag).to_have_attribute("aria-pressed", "true")
    expect(message(page, "La salle est pleine")).to_be_hidden()
    page.locator("[data-chat-clear-filter]").click()
    expect(message(page, "La salle est pleine")).to_be_visible()
    expect(page.locator("[data-chat-filter]")).to_be_hidden()
