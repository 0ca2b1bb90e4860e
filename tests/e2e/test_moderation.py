"""Moderating the chat in the browser: the review queue, reports, sanctions, reactions.

Real servers and Chromium, as in test_chat.py. The new words may not be in the
French catalog yet, so elements are found by role, id and data attributes rather
than by their visible text (the grounds' names, already translated, excepted).
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from accounts.personal_data import erase_account
from assemblies.models import Role, Session
from livechat.models import ChatSettings
from livechat.services.messages import post_message
from tests import factories
from tests.e2e.pages import PASSWORD, chat_message, open_chat, post_in_chat, review_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_client_ids = itertools.count(1)


def seed(session: Session, user, text: str) -> None:
    post_message(session.pk, user=user, text=text, client_id=f"mod-seed-{next(_client_ids)}")


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Conseil de quartier")


@pytest.fixture
def moderator(meeting):
    user = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(user, Role.Kind.MODERATOR, body=meeting.body)
    return user


def participant(username: str, name: str):
    return factories.make_user(username, password=PASSWORD, display_name=name)


def queue_count(page):
    return page.locator("[data-chat-queue-count]")


def test_a_premoderated_message_waits_for_approval_then_reaches_the_room(
    new_page, meeting, moderator, screenshots_dir
):
    ChatSettings.objects.create(session=meeting, mode=ChatSettings.Mode.PRE_MODERATED)
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    mine, other, console = new_page(), new_page(), new_page()
    open_chat(mine, awa, meeting)
    open_chat(other, ines, meeting)
    open_chat(console, moderator, meeting)
    expect(mine.locator("[data-chat-mode]")).to_be_visible()
    expect(console.locator("[data-chat-mode]")).to_be_hidden()
    expect(queue_count(console)).to_have_text("0")

    post_in_chat(mine, "Et si nous installions un banc ?")

    waiting = chat_message(mine, "installions un banc")
    expect(waiting).to_have_class(re.compile(r"\bchat-msg--pending\b"))
    expect(waiting.locator('[data-field="state"]')).to_be_visible()
    mine.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-pending.png")
    item = review_item(console, "installions un banc")
    expect(item).to_be_visible()
    expect(item.locator('[data-field="author"]')).to_have_text("Awa")
    expect(queue_count(console)).to_have_text("1")
    # New items are announced once, politely, as a count.
    expect(console.locator("[data-announcer]")).to_contain_text("1")
    expect(chat_message(other, "installions un banc")).to_have_count(0)
    console.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-review-queue.png")

    item.locator('[data-queue-action="approve"]').click()

    expect(chat_message(other, "installions un banc")).to_be_visible()
    expect(chat_message(console, "installions un banc")).to_be_visible()
    published = chat_message(mine, "installions un banc")
    expect(published).not_to_have_class(re.compile(r"\bchat-msg--pending\b"))
    expect(published.locator('[data-field="state"]')).to_be_hidden()
    expect(review_item(console, "installions un banc")).to_have_count(0)
    expect(queue_count(console)).to_have_text("0")


def test_a_premoderated_author_still_sees_their_waiting_message_after_a_reload(
    new_page, meeting, moderator
):
    ChatSettings.objects.create(session=meeting, mode=ChatSettings.Mode.PRE_MODERATED)
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    seed(meeting, moderator, "Bienvenue à toutes et à tous")
    mine, other = new_page(), new_page()
    open_chat(mine, awa, meeting)
    open_chat(other, ines, meeting)
    post_in_chat(mine, "Peut-on parler du marché du samedi ?")
    waiting = chat_message(mine, "marché du samedi")
    expect(waiting).to_have_class(re.compile(r"\bchat-msg--pending\b"))
    state_line = waiting.locator('[data-field="state"]')
    expect(state_line).to_be_visible()
    shown_state = state_line.inner_text()

    # The snapshot carries the author's own waiting messages (chat.history's pending).
    mine.reload()
    waiting = chat_message(mine, "marché du samedi")
    expect(waiting).to_have_class(re.compile(r"\bchat-msg--pending\b"))
    expect(waiting.locator('[data-field="state"]')).to_have_text(shown_state)
    expect(waiting.locator('[data-action="reply"]')).to_be_hidden()
    expect(waiting.locator('[data-action="delete"]')).to_be_visible()
    # In its place by id, after what the room saw before.
    expect(mine.locator("[data-chat-list] > li").last).to_contain_text("marché du samedi")
    expect(chat_message(mine, "Bienvenue")).not_to_have_class(re.compile(r"\bchat-msg--pending\b"))
    # Nobody else sees it, reloaded or not.
    other.reload()
    expect(chat_message(other, "Bienvenue")).to_be_visible()
    expect(chat_message(other, "marché du samedi")).to_have_count(0)


def test_an_erased_accounts_messages_show_deleted_participant_without_actions_on_it(
    new_page, meeting, moderator
):
    gone = participant("parti", "Jean Parti")
    seed(meeting, gone, "Un avis que je maintiens")
    erase_account(gone)
    with override("fr"):
        deleted = gettext("deleted participant")  # « participant supprimé »
    awa = participant("awa", "Awa")
    page, console = new_page(), new_page()
    open_chat(page, awa, meeting)
    open_chat(console, moderator, meeting)

    for viewer in (page, console):
        message = chat_message(viewer, "Un avis que je maintiens")
        expect(message).to_have_class(re.compile(r"\bchat-msg--erased\b"))
        author = message.locator('[data-field="author"]')
        expect(author).to_have_text(deleted)
        expect(author).not_to_have_text("")
        expect(message).not_to_contain_text("Jean Parti")
        expect(message.locator('[data-field="badge"]')).to_be_hidden()
        expect(message.locator('[data-action="report"]')).to_be_hidden()
    sanctions = chat_message(console, "Un avis").locator(
        '[data-action="timeout"], [data-action="ban"], [data-action="lift"]'
    )
    for n in range(sanctions.count()):
        expect(sanctions.nth(n)).to_be_hidden()
    # A moderator may still hide it.
    expect(chat_message(console, "Un avis").locator('[data-action="hide"]')).to_be_visible()


def test_a_moderator_edits_then_approves_and_rejects_with_the_keyboard_only(
    new_page, meeting, moderator
):
    ChatSettings.objects.create(session=meeting, mode=ChatSettings.Mode.PRE_MODERATED)
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    mine, other, console = new_page(), new_page(), new_page()
    open_chat(mine, awa, meeting)
    open_chat(other, ines, meeting)
    open_chat(console, moderator, meeting)
    post_in_chat(mine, "Appelez-moi au 06 12 34 56 78")
    post_in_chat(mine, "Achetez mes lunettes pas chères")
    first = review_item(console, "Appelez-moi")
    second = review_item(console, "Achetez mes lunettes")
    expect(queue_count(console)).to_have_text("2")

    # From the queue's heading, as a screen reader's heading navigation lands there.
    console.locator("#chat-queue-heading").focus()
    keys = console.keyboard
    keys.press("Tab")
    expect(first.locator('[data-queue-action="approve"]')).to_be_focused()
    keys.press("Tab")
    expect(first.locator('[data-queue-action="edit"]')).to_be_focused()
    keys.press("Enter")
    box = first.locator('[data-field="edit-text"]')
    expect(box).to_be_focused()
    expect(box).to_have_value("Appelez-moi au 06 12 34 56 78")
    keys.press("Control+A")
    keys.type("Appelez-moi au [numéro retiré]")
    keys.press("Tab")
    keys.press("Enter")

    # The item leaves; focus moves on to the next one.
    expect(first).to_have_count(0)
    expect(second).to_be_focused()
    edited = chat_message(other, "numéro retiré")
    expect(edited).to_be_visible()
    expect(edited.locator('[data-field="edited"]')).to_be_visible()
    expect(chat_message(other, "06 12 34")).to_have_count(0)
    expect(chat_message(mine, "numéro retiré")).to_be_visible()

    keys.press("Tab")
    keys.press("Tab")
    keys.press("Tab")
    reject = second.locator('[data-queue-action="reject"]')
    expect(reject).to_be_focused()
    keys.press("Enter")
    expect(reject).to_have_attribute("aria-expanded", "true")
    ground = second.locator('[data-field="ground"]')
    expect(ground).to_be_focused()
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    expect(ground).to_have_value("spam")
    keys.press("Tab")
    keys.type("publicité")
    keys.press("Enter")

    # The queue is empty: focus goes back to its heading.
    expect(second).to_have_count(0)
    expect(console.locator("#chat-queue-heading")).to_be_focused()
    expect(queue_count(console)).to_have_text("0")
    expect(chat_message(mine, "Achetez mes lunettes")).to_have_count(0)
    expect(mine.locator("[data-chat-status]")).to_contain_text("publicité")
    expect(chat_message(other, "Achetez mes lunettes")).to_have_count(0)
    expect(other.locator("[data-chat-status]")).to_have_text("")
    # The room counts the removal under its public ground.
    expect(other.locator("[data-chat-transparency]")).to_contain_text("spam 1")


def test_a_blocked_word_holds_a_message_and_a_rejection_tells_its_author_why(
    new_page, meeting, moderator
):
    ChatSettings.objects.create(session=meeting, blocked_words="pamplemousse")
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    mine, other, console = new_page(), new_page(), new_page()
    open_chat(mine, awa, meeting)
    open_chat(other, ines, meeting)
    open_chat(console, moderator, meeting)
    expect(mine.locator("[data-chat-mode]")).to_be_hidden()  # an open chat: no hint

    post_in_chat(mine, "Je propose un pamplemousse géant")
    post_in_chat(mine, "Bonne soirée à tous")

    expect(chat_message(mine, "pamplemousse")).to_have_class(re.compile(r"\bchat-msg--pending\b"))
    expect(chat_message(other, "Bonne soirée")).to_be_visible()
    expect(chat_message(other, "pamplemousse")).to_have_count(0)
    item = review_item(console, "pamplemousse")
    expect(item.locator('[data-field="why"]')).to_contain_text("pamplemousse")
    expect(review_item(console, "Bonne soirée")).to_have_count(0)

    item.locator('[data-queue-action="reject"]').click()
    item.locator('[data-field="ground"]').select_option("abuse")
    item.locator('[data-field="reason"]').fill("merci de rester courtois")
    item.locator('[data-field="remove-submit"]').click()

    expect(chat_message(mine, "pamplemousse")).to_have_count(0)
    expect(mine.locator("[data-chat-status]")).to_contain_text("merci de rester courtois")
    expect(review_item(console, "pamplemousse")).to_have_count(0)


def test_post_moderated_messages_are_kept_or_hidden_from_the_queue(new_page, meeting, moderator):
    ChatSettings.objects.create(session=meeting, mode=ChatSettings.Mode.POST_MODERATED)
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    mine, other, console = new_page(), new_page(), new_page()
    open_chat(mine, awa, meeting)
    open_chat(other, ines, meeting)
    open_chat(console, moderator, meeting)
    expect(mine.locator("[data-chat-mode]")).to_be_visible()

    post_in_chat(mine, "Le parking est plein")
    post_in_chat(mine, "Qui a vu le match hier ?")

    for text in ("Le parking", "le match"):
        expect(chat_message(other, text)).to_be_visible()
        item = review_item(console, text)
        expect(item.locator('[data-queue-action="hide"]')).to_be_visible()
        expect(item.locator('[data-queue-action="reject"]')).to_be_hidden()
    review_item(console, "Le parking").locator('[data-queue-action="approve"]').click()
    expect(review_item(console, "Le parking")).to_have_count(0)
    item = review_item(console, "le match")
    expect(item).to_be_focused()  # the next item, after the one that left

    item.locator('[data-queue-action="hide"]').click()
    item.locator('[data-field="ground"]').select_option("off_topic")
    item.locator('[data-field="remove-submit"]').click()

    expect(chat_message(other, "le match")).to_have_count(0)
    expect(chat_message(other, "Le parking")).to_be_visible()
    expect(other.locator("[data-chat-transparency]")).to_contain_text("hors sujet 1")
    expect(mine.locator("[data-chat-status]")).not_to_be_empty()
    expect(queue_count(console)).to_have_text("0")


def test_three_reports_hide_a_message_until_a_moderator_decides(
    new_page, meeting, moderator, screenshots_dir
):
    author = participant("jules", "Jules")
    reporters = [participant(f"voisin{n}", f"Voisin {n}") for n in range(3)]
    seed(meeting, author, "Un message insultant")
    seed(meeting, author, "Un message correct")

    mine, console, reader = new_page(), new_page(), new_page()
    open_chat(mine, author, meeting)
    open_chat(console, moderator, meeting)
    reader.goto(meeting.get_absolute_url())
    expect(chat_message(reader, "Un message insultant")).to_be_visible()
    # One cannot report one's own message, nor a moderator (who hides instead).
    expect(chat_message(mine, "insultant").locator('[data-action="report"]')).to_be_hidden()
    expect(chat_message(console, "insultant").locator('[data-action="report"]')).to_be_hidden()
    expect(chat_message(reader, "insultant").locator('[data-action="report"]')).to_be_hidden()

    pages = []
    for n, user in enumerate(reporters):
        page = new_page()
        open_chat(page, user, meeting)
        pages.append(page)
        report = chat_message(page, "insultant").locator('[data-action="report"]')
        report.click()
        expect(page.locator("#chat-report-ground")).to_be_focused()
        page.locator("#chat-report-ground").select_option("abuse")
        if n == 0:
            page.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-report.png")
        page.locator("[data-chat-report-form] button[type=submit]").click()
        expect(page.locator("[data-chat-report-form]")).to_be_hidden()
        expect(page.locator("[data-chat-status]")).not_to_be_empty()
        if n < 2:
            expect(report).to_have_attribute("aria-disabled", "true")
            expect(report).to_be_focused()
            expect(review_item(console, "insultant").locator('[data-field="why"]')).to_contain_text(
                str(n + 1)
            )

    for page in [*pages, reader, mine]:
        expect(chat_message(page, "insultant")).to_have_count(0)
        expect(chat_message(page, "Un message correct")).to_be_visible()
    expect(mine.locator("[data-chat-status]")).not_to_be_empty()
    item = review_item(console, "insultant")
    expect(item.locator('[data-field="why"]')).to_contain_text("3")
    expect(item.locator('[data-queue-action="reject"]')).to_be_visible()
    expect(reader.locator("[data-chat-transparency]")).to_be_hidden()

    item.locator('[data-queue-action="reject"]').click()
    item.locator('[data-field="ground"]').select_option("abuse")
    item.locator('[data-field="remove-submit"]').click()

    expect(review_item(console, "insultant")).to_have_count(0)
    line = reader.locator("[data-chat-transparency]")
    expect(line).to_be_visible()
    expect(line).to_contain_text("abus 1")
    # A page opened later reads the same line from the history.
    late = new_page()
    late.goto(meeting.get_absolute_url())
    expect(late.locator("[data-chat-transparency]")).to_contain_text("abus 1")
    late.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-transparency.png")


def test_a_banned_participant_sees_why_in_place_of_the_composer(
    new_page, meeting, moderator, screenshots_dir
):
    author = participant("jules", "Jules")
    seed(meeting, author, "Vous êtes tous des incapables")
    mine, console = new_page(), new_page()
    open_chat(mine, author, meeting)
    open_chat(console, moderator, meeting)
    message = chat_message(console, "incapables")
    # Moderators' own messages offer no sanction.
    post_in_chat(console, "Restons courtois")
    expect(chat_message(console, "Restons courtois").locator('[data-action="ban"]')).to_be_hidden()

    message.locator('[data-action="ban"]').click()
    expect(console.locator("#chat-sanction-reason")).to_be_focused()
    console.locator("#chat-sanction-reason").fill("insultes répétées")
    console.locator("[data-chat-sanction-submit]").click()

    restricted = mine.locator("[data-chat-restricted]")
    expect(restricted).to_be_visible()
    expect(restricted).to_contain_text("insultes répétées")
    expect(mine.locator("[data-chat-form]")).to_be_hidden()
    expect(mine.locator("#chat-text")).to_be_disabled()
    expect(message.locator('[data-action="lift"]')).to_be_visible()
    expect(console.locator("[data-chat-undo]")).to_be_focused()

    mine.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-restricted.png")
    # The snapshot carries the restriction too.
    mine.reload()
    expect(restricted).to_be_visible()
    expect(restricted).to_contain_text("insultes répétées")

    console.locator("[data-chat-undo]").click()
    expect(mine.locator("[data-chat-form]")).to_be_visible()
    expect(restricted).to_be_hidden()
    expect(message.locator('[data-action="ban"]')).to_be_visible()

    message.locator('[data-action="timeout"]').click()
    console.locator("[data-chat-sanction-submit]").click()
    expect(restricted).to_contain_text(re.compile(r"\d\d:\d\d"))
    expect(mine.locator("[data-chat-form]")).to_be_hidden()
    message.locator('[data-action="lift"]').click()
    expect(mine.locator("[data-chat-form]")).to_be_visible()
    post_in_chat(mine, "Pardon, je me calme")
    expect(chat_message(console, "je me calme")).to_be_visible()


def test_reactions_are_counted_for_everyone_and_toggled_by_their_authors(
    new_page, meeting, screenshots_dir
):
    author = participant("jules", "Jules")
    seed(meeting, author, "Merci pour cette présentation")
    awa, ines = participant("awa", "Awa"), participant("ines", "Inès")
    a, b, reader = new_page(), new_page(), new_page()
    open_chat(a, awa, meeting)
    open_chat(b, ines, meeting)
    reader.goto(meeting.get_absolute_url())

    for page in (a, b):
        message = chat_message(page, "Merci pour cette")
        menu = message.locator('[data-action="react-menu"]')
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        message.locator('[data-action="react-pick"][data-emoji="👏"]').click()
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_focused()
        mine = message.locator('[data-action="react"][data-emoji="👏"]')
        expect(mine).to_have_attribute("aria-pressed", "true")
    thanks = chat_message(a, "Merci pour cette")
    thanks.locator('[data-action="react-menu"]').click()
    thanks.locator('[data-action="react-pick"][data-emoji="👍"]').click()

    seen = chat_message(reader, "Merci pour cette").locator('[data-field="reactions"]')
    expect(seen.locator('[data-emoji="👏"]')).to_contain_text("👏 2")
    expect(seen.locator('[data-emoji="👍"]')).to_contain_text("👍 1")
    expect(seen.locator("button")).to_have_count(0)  # no account, no buttons
    # The counts are not read out: the row is not part of the log's live region.
    expect(seen).to_have_attribute("aria-live", "off")
    clap = chat_message(b, "Merci pour cette").locator('[data-action="react"][data-emoji="👏"]')
    expect(clap).to_have_attribute("aria-label", re.compile("2"))

    a.locator(".panel--chat").screenshot(path=screenshots_dir / "chat-reactions.png")
    clap.click()  # Inès takes hers back
    expect(clap).to_have_attribute("aria-pressed", "false")
    expect(seen.locator('[data-emoji="👏"]')).to_contain_text("👏 1")
    expect(
        chat_message(a, "Merci pour cette").locator('[data-action="react"][data-emoji="👏"]')
    ).to_contain_text("👏 1")
