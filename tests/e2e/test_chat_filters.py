"""The author of a hidden message is told why; the chat and the questions filter by agenda item.

The new words may not be in the French catalog yet, so elements are found by role, id
and data attributes rather than by their new visible text.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from assemblies.models import Role, Session
from assemblies.services.live import advance_agenda
from livechat.services.messages import post_message
from livechat.services.questions import ask_question
from tests import factories
from tests.e2e.pages import PASSWORD, log_in, open_chat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_client_ids = itertools.count(1)


def message(page, text: str):
    return page.locator("[data-chat-list] > li").filter(has_text=text)


def question(page, text: str):
    return page.locator("[data-questions-lists] li").filter(has_text=text)


def seed(session: Session, user, text: str) -> None:
    post_message(session.pk, user=user, text=text, client_id=f"seed-{next(_client_ids)}")


def seed_question(session: Session, user, text: str) -> None:
    ask_question(session.pk, user=user, text=text, client_id=f"seed-{next(_client_ids)}")


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Réunion du comité")


@pytest.fixture
def live_meeting(db) -> Session:
    return factories.make_session(title="Réunion du comité", status=Session.Status.LIVE)


def test_the_author_of_a_hidden_message_is_told_why_and_nobody_else_is(new_page, meeting):
    moderator = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, body=meeting.body)
    author = factories.make_user("habitant", password=PASSWORD, display_name="Jules")
    reader = factories.make_user("lectrice", password=PASSWORD, display_name="Inès")
    seed(meeting, author, "Un message hors sujet")

    mine, other, console = new_page(), new_page(), new_page()
    open_chat(mine, author, meeting)
    open_chat(other, reader, meeting)
    open_chat(console, moderator, meeting)
    expect(message(mine, "Un message hors sujet")).to_be_visible()
    expect(message(other, "Un message hors sujet")).to_be_visible()

    message(console, "Un message hors sujet").locator('[data-action="hide"]').click()
    console.locator("#chat-hide-reason").fill("hors sujet")
    console.locator("[data-chat-hide-form] button[type=submit]").click()

    expect(message(mine, "Un message hors sujet")).to_have_count(0)
    expect(message(other, "Un message hors sujet")).to_have_count(0)
    status = mine.locator("[data-chat-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text("hors sujet")
    expect(other.locator("[data-chat-status]")).to_have_text("")
    expect(console.locator("[data-chat-status]")).to_have_text("")


def test_the_chat_filters_by_agenda_item(new_page, live_meeting):
    organiser = factories.make_organiser(live_meeting)
    resident = factories.make_user("habitante", password=PASSWORD, display_name="Awa")
    second = live_meeting.agenda_items.get(position=2)
    advance_agenda(live_meeting.pk, user=organiser)
    seed(live_meeting, resident, "Sur le premier point")
    advance_agenda(live_meeting.pk, user=organiser)
    seed(live_meeting, resident, "Sur le deuxième point")

    page = new_page()
    open_chat(page, resident, live_meeting)
    expect(message(page, "Sur le premier point")).to_be_visible()
    expect(message(page, "Sur le deuxième point")).to_be_visible()
    item_filter = page.locator("#chat-item-filter")
    expect(page.locator("label[for=chat-item-filter]")).to_be_visible()
    expect(item_filter.locator("option")).to_have_count(1 + live_meeting.agenda_items.count())

    item_filter.focus()
    item_filter.select_option(str(second.pk))

    expect(message(page, "Sur le deuxième point")).to_be_visible()
    expect(message(page, "Sur le premier point")).to_be_hidden()
    expect(item_filter).to_be_focused()
    expect(page.locator("[data-chat-none-shown]")).to_be_hidden()

    # An item with no message says so in the list.
    third = live_meeting.agenda_items.get(position=3)
    item_filter.select_option(str(third.pk))
    expect(page.locator("[data-chat-list] > li:visible")).to_have_count(0)
    expect(page.locator("[data-chat-none-shown]")).to_be_visible()

    item_filter.select_option("")
    expect(message(page, "Sur le premier point")).to_be_visible()
    expect(message(page, "Sur le deuxième point")).to_be_visible()
    expect(page.locator("[data-chat-none-shown]")).to_be_hidden()


def test_the_questions_filter_by_agenda_item(new_page, live_meeting):
    organiser = factories.make_organiser(live_meeting)
    resident = factories.make_user("habitante", password=PASSWORD, display_name="Awa")
    second = live_meeting.agenda_items.get(position=2)
    advance_agenda(live_meeting.pk, user=organiser)
    seed_question(live_meeting, resident, "Question du premier point")
    advance_agenda(live_meeting.pk, user=organiser)
    seed_question(live_meeting, resident, "Question du deuxième point")

    page = new_page()
    log_in(page, resident.username, live_meeting.get_absolute_url())
    expect(question(page, "Question du premier point")).to_be_visible()
    expect(question(page, "Question du deuxième point")).to_be_visible()
    item_filter = page.locator("#questions-item-filter")
    expect(page.locator("label[for=questions-item-filter]")).to_be_visible()

    item_filter.focus()
    item_filter.select_option(str(second.pk))

    expect(question(page, "Question du deuxième point")).to_be_visible()
    expect(question(page, "Question du premier point")).to_be_hidden()
    expect(item_filter).to_be_focused()
    expect(page.locator("[data-questions-none-shown]")).to_be_hidden()

    third = live_meeting.agenda_items.get(position=3)
    item_filter.select_option(str(third.pk))
    expect(page.locator("[data-questions-none-shown]")).to_be_visible()

    item_filter.select_option("")
    expect(question(page, "Question du premier point")).to_be_visible()
