"""The audience asks and votes for questions; moderators approve them and put one on screen.

The questions' own words may not be in the French catalog yet, so elements are found
by id and data attributes rather than by their new visible text.
"""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from assemblies.models import Role, Session
from livechat.models import ChatSettings, Question
from livechat.services.questions import ask_question, vote_question
from tests import factories
from tests.e2e.pages import PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_client_ids = itertools.count(1)


def open_questions(page, user, session: Session) -> None:
    """Log ``user`` in on the session page and wait until they can ask."""
    log_in(page, user.username, session.get_absolute_url())
    expect(page.locator("[data-questions-form]")).to_be_visible()


def ask(page, text: str) -> None:
    box = page.locator("#question-text")
    box.fill(text)
    page.locator("[data-questions-send]").click()
    expect(box).to_have_value("")


def question(page, text: str, group: str | None = None):
    scope = f'[data-questions-list="{group}"]' if group else "[data-questions-lists]"
    return page.locator(f"{scope} > li").filter(has_text=text)


def seed(session: Session, user, text: str) -> Question:
    return ask_question(session.pk, user=user, text=text, client_id=f"seed-{next(_client_ids)}")


def votes(count: int) -> re.Pattern[str]:
    return re.compile(rf"^{count}\b")


@pytest.fixture
def meeting(db) -> Session:
    session = factories.make_session(title="Réunion du comité", status=Session.Status.LIVE)
    session.current_item = session.agenda_items.get(position=2)
    session.save(update_fields=["current_item"])
    return session


def test_a_participant_asks_and_another_votes_without_reloading(new_page, meeting):
    awa = factories.make_user("awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_user("paul", password=PASSWORD, display_name="Paul")
    a, b = new_page(), new_page()
    open_questions(a, awa, meeting)
    open_questions(b, paul, meeting)
    a.evaluate("window.__sameDocument = true")
    b.evaluate("window.__sameDocument = true")

    ask(a, "Quand commencent les travaux ?")

    seen = question(b, "Quand commencent les travaux ?", "open")
    expect(seen).to_be_visible()
    expect(seen.locator(".question__author")).to_have_text("Awa")
    expect(seen.locator(".question__item")).to_contain_text("Point 2")
    expect(seen.locator(".question__votes")).to_have_text(votes(0))
    expect(a.locator("[data-questions-sent]")).not_to_be_empty()

    vote = seen.locator('[data-action="vote"]')
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()

    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(seen.locator(".question__votes")).to_have_text(votes(1))
    mine = question(a, "Quand commencent les travaux ?", "open")
    expect(mine.locator(".question__votes")).to_have_text(votes(1))
    expect(mine.locator('[data-action="vote"]')).to_have_attribute("aria-pressed", "false")

    # A second press takes the vote back.
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(mine.locator(".question__votes")).to_have_text(votes(0))
    assert a.evaluate("window.__sameDocument") is True
    assert b.evaluate("window.__sameDocument") is True


def test_a_premoderated_question_appears_once_a_moderator_approves_it(new_page, meeting):
    ChatSettings.objects.create(session=meeting, questions_premoderated=True)
    moderator = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, body=meeting.body)
    awa = factories.make_user("awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_user("paul", password=PASSWORD, display_name="Paul")
    author, other, console = new_page(), new_page(), new_page()
    open_questions(author, awa, meeting)
    open_questions(other, paul, meeting)
    open_questions(console, moderator, meeting)
    expect(author.locator("[data-questions-premoderated]")).to_be_visible()

    ask(author, "Pourquoi fermer la rue des Écoles ?")

    waiting = question(author, "Pourquoi fermer la rue des Écoles ?", "pending")
    expect(waiting).to_be_visible()
    expect(waiting.locator(".question__state")).to_be_visible()
    expect(waiting.locator('[data-action="vote"]')).to_be_hidden()
    expect(author.locator("[data-questions-sent]")).not_to_be_empty()
    pending = question(console, "Pourquoi fermer la rue des Écoles ?", "pending")
    expect(pending).to_be_visible()
    expect(question(other, "Pourquoi fermer la rue des Écoles ?")).to_have_count(0)
    expect(other.locator('[data-questions-group="pending"]')).to_be_hidden()

    approve = pending.locator('[data-action="open"][data-when="pending"]')
    expect(approve).to_be_visible()
    expect(pending.locator('[data-action="archived"]')).to_be_visible()
    approve.click()

    expect(question(other, "Pourquoi fermer la rue des Écoles ?", "open")).to_be_visible()
    expect(question(author, "Pourquoi fermer la rue des Écoles ?", "open")).to_be_visible()
    expect(question(author, "Pourquoi fermer la rue des Écoles ?", "pending")).to_have_count(0)
    expect(question(console, "Pourquoi fermer la rue des Écoles ?", "open")).to_be_visible()
    # Participants have no moderation buttons.
    shown = question(other, "Pourquoi fermer la rue des Écoles ?")
    expect(shown.locator('[data-action="on_screen"]')).to_be_hidden()


def test_a_moderator_puts_a_question_on_screen_and_the_projector_shows_it(
    new_page, meeting, screenshots_dir
):
    moderator = factories.make_user("modo", password=PASSWORD, display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, body=meeting.body)
    residents = [
        factories.make_user(f"habitant{n}", display_name=f"Habitant {n}") for n in range(3)
    ]
    budget = seed(meeting, residents[0], "Quel budget pour la rénovation de l’école ?")
    seed(meeting, residents[1], "Les travaux gêneront-ils le marché du samedi ?")
    parking = seed(meeting, residents[2], "Où se garer pendant le chantier ?")
    for voter in residents:
        vote_question(parking.pk, user=voter)
    vote_question(budget.pk, user=residents[1])

    projector = new_page()
    projector.goto(f"/sessions/{meeting.pk}/projector/")
    expect(projector).to_have_title(re.compile("Réunion du comité"))
    expect(projector.locator("[data-projector-item]")).to_have_text("Point 2")
    top = projector.locator("[data-projector-top] > li")
    expect(top).to_have_count(3)
    expect(top.nth(0)).to_contain_text("Où se garer pendant le chantier ?")
    expect(top.nth(1)).to_contain_text("Quel budget")
    expect(projector.locator("[data-projector-question]")).to_be_hidden()

    console = new_page()
    open_questions(console, moderator, meeting)
    link = console.locator("[data-questions-projector]")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"/sessions/{meeting.pk}/projector/")
    chosen = question(console, "Quel budget", "open")
    chosen.locator('[data-action="on_screen"]').click()

    on_screen = question(console, "Quel budget", "on_screen")
    expect(on_screen).to_be_visible()
    expect(console.locator('[data-questions-group="on_screen"]')).to_be_visible()
    shown = projector.locator("[data-projector-question-text]")
    expect(shown).to_have_text("Quel budget pour la rénovation de l’école ?")
    font_size = shown.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_size >= 48
    expect(projector.locator("[data-projector-question-author]")).to_have_text("Habitant 0")
    expect(top).to_have_count(2)
    expect(top.filter(has_text="Quel budget")).to_have_count(0)

    console.screenshot(path=str(screenshots_dir / "screenshot-questions.png"), full_page=True)
    projector.screenshot(path=str(screenshots_dir / "screenshot-projector.png"))

    # Answered, it leaves the screen and the projector's list.
    on_screen.locator('[data-action="answered"]').click()
    expect(question(console, "Quel budget", "answered")).to_be_visible()
    expect(projector.locator("[data-projector-question]")).to_be_hidden()
    expect(projector.locator("[data-projector-no-question]")).to_be_visible()
    expect(top).to_have_count(2)


def test_an_anonymous_visitor_sees_the_questions_but_cannot_ask_or_vote(new_page, meeting):
    resident = factories.make_user("habitante", display_name="Awa")
    seed(meeting, resident, "Le compte rendu sera-t-il publié ?")
    answered = seed(meeting, resident, "La séance est-elle filmée ?")
    answered.status = Question.Status.ANSWERED
    answered.save(update_fields=["status"])
    page = new_page()

    page.goto(meeting.get_absolute_url())

    shown = question(page, "Le compte rendu sera-t-il publié ?", "open")
    expect(shown).to_be_visible()
    expect(shown.locator(".question__votes")).to_have_text(votes(0))
    expect(question(page, "La séance est-elle filmée ?", "answered")).to_be_visible()
    expect(page.locator("[data-questions-form]")).to_have_count(0)
    expect(page.locator("#question-text")).to_have_count(0)
    expect(page.locator('[data-questions-lists] [data-action="vote"]')).to_have_count(0)
    expect(shown.locator(".question__actions")).to_be_hidden()
    expect(page.locator("[data-questions-projector]")).to_be_hidden()
    login = page.locator("[data-questions-login]")
    expect(login).to_be_visible()
    expect(login).to_have_attribute("href", f"/accounts/login/?next={meeting.get_absolute_url()}")
