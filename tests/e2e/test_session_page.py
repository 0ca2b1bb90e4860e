"""A resident follows a session live while an organiser runs it from another browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assemblies.models import Session
from assemblies.services import live
from tests import factories
from tests.e2e.pages import PASSWORD, log_in, wait_until_connected

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plenary(db) -> Session:
    event = factories.make_event(title="Assises de la médiation numérique", hashtag="assmednum")
    venue = factories.make_venue(event.organisation, name="Palais des congrès d’Ajaccio")
    session = factories.make_session(event=event, title="Plénière d’ouverture", venue=venue)
    titles = ["Accueil des participants", "La médiation numérique en Corse", "Table ronde"]
    for item, title in zip(session.agenda_items.order_by("position"), titles, strict=True):
        item.title = title
        item.save()
    return session


def test_a_visitor_reads_the_programme(new_page, plenary):
    page = new_page()

    page.goto("/")
    expect(page.get_by_role("heading", name="À venir")).to_be_visible()
    page.get_by_role("link", name="Assises de la médiation numérique").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Assises de la médiation numérique")
    expect(page.get_by_text("#assmednum")).to_be_visible()
    expect(page.get_by_role("link", name="Plénière d’ouverture")).to_be_visible()
    page.get_by_role("link", name="Plénière d’ouverture").click()
    expect(page.locator("[data-agenda] li")).to_have_count(3)
    expect(page.locator("#console-heading")).to_have_count(0)


def test_an_organiser_runs_the_session_and_a_participant_sees_it_live(
    new_page, plenary, screenshots_dir
):
    participant = factories.make_user("habitante", password=PASSWORD, display_name="Awa")
    organiser = factories.make_organiser(plenary, username="organisatrice", password=PASSWORD)
    url = plenary.get_absolute_url()

    resident = new_page()
    log_in(resident, participant.username, url)
    wait_until_connected(resident)
    expect(resident.locator("[data-status-badge]")).to_have_text("À venir")
    resident.evaluate("window.__sameDocument = true")

    console = new_page()
    log_in(console, organiser.username, url)
    wait_until_connected(console)
    console.get_by_role("button", name="Ouvrir la séance").click()

    expect(resident.locator("[data-status-badge]")).to_have_text("En direct")
    expect(resident.get_by_text("La séance est en direct.")).to_be_visible()
    first = resident.locator("[data-agenda] li").nth(0)
    expect(first).to_have_attribute("aria-current", "step")

    console.get_by_role("button", name="Point suivant").click()

    second = resident.locator("[data-agenda] li").nth(1)
    expect(second).to_have_attribute("aria-current", "step")
    expect(first).not_to_have_attribute("aria-current", "step")
    expect(resident.locator("[data-current-item-title]")).to_have_text(
        "La médiation numérique en Corse"
    )
    expect(resident.locator("[data-announcer]")).to_have_text(
        re.compile("La médiation numérique en Corse")
    )
    assert resident.evaluate("window.__sameDocument") is True
    expect(console.get_by_role("button", name="Ouvrir la séance")).to_be_disabled()

    console.screenshot(path=str(screenshots_dir / "screenshot-session.png"), full_page=True)

    console.get_by_role("button", name="Clore la séance").click()
    expect(resident.locator("[data-status-badge]")).to_have_text("Terminée")
    expect(resident.get_by_text("La séance est terminée.")).to_be_visible()


def test_the_page_catches_up_after_the_server_restarts(new_page, plenary, start_server):
    organiser = factories.make_organiser(plenary, username="organisatrice", password=PASSWORD)
    server = start_server("uvicorn")
    resident = new_page()
    resident.goto(server.url + plenary.get_absolute_url())
    wait_until_connected(resident)
    resident.evaluate("window.__sameDocument = true")

    server.kill()
    expect(resident.locator("[data-connection]")).to_have_text(re.compile("Connexion perdue"))
    live.start_session(plenary.pk, user=organiser)
    live.advance_agenda(plenary.pk, user=organiser)
    server.start()

    expect(resident.locator("[data-status-badge]")).to_have_text("En direct", timeout=20_000)
    expect(resident.locator("[data-agenda] li").nth(1)).to_have_attribute("aria-current", "step")
    expect(resident.locator("[data-connection]")).to_have_text("")
    expect(resident.locator("[data-connection]")).to_have_class(re.compile("visually-hidden"))
    assert resident.evaluate("window.__sameDocument") is True


def test_a_participant_sees_no_console_and_the_english_page_works(new_page, plenary):
    page = new_page(locale="en-GB")

    page.goto(plenary.get_absolute_url())
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Change language").click()

    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.locator("[data-status-badge]")).to_have_text("Scheduled")
    expect(page.locator("#console-heading")).to_have_count(0)
