"""An attendee suggests a change during the review of a correction; a note-taker
accepts it and the open editor changes live; the organiser publishes version 2,
whose page shows what changed.

Elements are found by form action, name and data attributes: the review's own
words may not be in the French catalog yet.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assemblies.models import Session
from minutes.services import store, workflow
from tests import factories
from tests.e2e.pages import PASSWORD, axe_violations, describe_violations, log_in
from tests.minutes.documents import write

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Comité de quartier")


def press(page, session: Session, action: str) -> None:
    """Press the organisers' workflow button ``action`` on the session page."""
    page.goto(session.get_absolute_url())
    page.locator(f"form[action='/sessions/{session.pk}/minutes/{action}/'] button").click()
    page.wait_for_url(f"**{session.get_absolute_url()}#minutes")


def editor(page):
    return page.locator("[data-minutes-editor] .ProseMirror")


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(where, violations)


def test_a_suggestion_accepted_in_review_becomes_version_2_with_its_changes(
    new_page, meeting, screenshots_dir
):
    organiser = factories.make_organiser(meeting, username="orga", password=PASSWORD)
    awa = factories.make_note_taker(meeting, username="awa", password=PASSWORD, display_name="Awa")
    resident = factories.make_user("habitante", password=PASSWORD, display_name="Inès")
    minutes = store.ensure_minutes(meeting.pk, user=organiser)
    write(minutes, "Le budget est adopté à 11 voix contre 3.")
    for step in (workflow.submit_minutes, workflow.approve_minutes, workflow.publish_minutes):
        step(meeting.pk, user=organiser)

    # The organiser corrects the published minutes and opens the review.
    boss = new_page()
    log_in(boss, organiser.username, meeting.get_absolute_url())
    press(boss, meeting, "correct")
    press(boss, meeting, "submit")
    review_url = f"/sessions/{meeting.pk}/minutes/review/"
    expect(boss.locator(f"a[href='{review_url}']")).to_be_visible()

    # An attendee suggests a change, without any script.
    attendee = new_page()
    log_in(attendee, resident.username, review_url)
    attendee.locator("#id_text").fill("Nous étions douze à voter pour.")
    attendee.locator("#id_quote").fill("à 11 voix")
    attendee.locator("#id_proposal").fill("à 12 voix")
    attendee.locator("form.review-form button[type=submit]").click()
    comment = attendee.locator(".review-comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("Nous étions douze à voter pour.")
    assert_accessible(attendee, "the review page, as an attendee")

    # A note-taker with the editor open accepts it from the review page.
    writing = new_page()
    log_in(writing, awa.username, meeting.get_absolute_url())
    expect(writing.locator("[data-minutes]")).to_have_attribute("data-state", "synced")
    expect(editor(writing)).to_contain_text("à 11 voix contre 3.")
    answering = new_page()
    log_in(answering, awa.username, review_url)
    answering.locator(".review-comment textarea[name=reply]").fill("Corrigé, merci.")
    answering.locator(".review-comment button[value=accept]").click()
    expect(answering.locator(".review-comment--accepted")).to_have_count(1)
    expect(editor(writing)).to_contain_text("Le budget est adopté à 12 voix contre 3.")
    answering.screenshot(path=screenshots_dir / "screenshot-minutes-review.png", full_page=True)

    # The attendee reads the answer.
    attendee.reload()
    expect(attendee.locator(".review-comment--accepted")).to_contain_text("Corrigé, merci.")

    # Approved and published: version 2, with what changed since version 1.
    press(boss, meeting, "approve")
    press(boss, meeting, "publish")
    reader = new_page()
    reader.goto(f"/sessions/{meeting.pk}/minutes/")
    expect(reader.locator(".minutes-published__body")).to_contain_text("à 12 voix contre 3.")
    expect(reader.locator(f"a[href='/sessions/{meeting.pk}/minutes/versions/1/']")).to_be_visible()
    assert_accessible(reader, "the published minutes, version 2")
    reader.locator(f"a[href='/sessions/{meeting.pk}/minutes/versions/2/changes/']").first.click()
    body = reader.locator(".minutes-changes__body")
    expect(body.locator("del")).to_contain_text("11")
    expect(body.locator("ins")).to_contain_text("12")
    assert_accessible(reader, "the changes of version 2")
    reader.screenshot(path=screenshots_dir / "screenshot-minutes-changes.png", full_page=True)
    reader.goto(f"/sessions/{meeting.pk}/minutes/versions/1/")
    expect(reader.locator(".minutes-published__body")).to_contain_text("à 11 voix contre 3.")
