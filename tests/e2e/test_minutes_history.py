"""The minutes' history in the browser: who wrote what, and restoring a version live.

Two note-takers write; the history page shows each one's passages in their own
colour with their name; restoring an earlier version brings its text back in both
live editors, and the text it replaced is still in the history. Elements are
found by data attributes and roles: the history's words may not be in the French
catalog yet.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from assemblies.models import Session
from minutes.models import Minutes, MinutesUpdate
from minutes.services import store
from minutes.services.document import load_doc, plain_text
from tests import factories
from tests.e2e.pages import PASSWORD, axe_violations, describe_violations, log_in
from tests.e2e.test_minutes import editor, open_minutes, type_under_heading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Comité de quartier")


def wait_stored(page, session: Session, text: str) -> None:
    """Wait until ``text`` is in the stored document (the server stores, then relays)."""
    minutes = Minutes.objects.get(session=session)
    for _ in range(100):
        if text in plain_text(load_doc(store.load_document(minutes.pk).blobs())):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{text!r} was never stored")


def history_text(page):
    return page.locator("[data-history-text] .ProseMirror")


def test_the_history_shows_who_wrote_what_and_restores_a_version_live(
    new_page, meeting, screenshots_dir
):
    awa = factories.make_note_taker(meeting, username="awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_note_taker(
        meeting, username="paul", password=PASSWORD, display_name="Paul"
    )
    a, b = new_page(), new_page()
    open_minutes(a, meeting, awa)
    open_minutes(b, meeting, paul)
    type_under_heading(a, "Point 1", "Awa ouvre la séance.")
    type_under_heading(b, "Point 2", "Paul présente le budget.")
    expect(editor(a)).to_contain_text("Paul présente le budget.")
    wait_stored(a, meeting, "Awa ouvre la séance.")
    wait_stored(a, meeting, "Paul présente le budget.")
    # That was ten minutes ago: what follows is another version.
    minutes = Minutes.objects.get(session=meeting)
    for update in MinutesUpdate.objects.filter(minutes=minutes):
        MinutesUpdate.objects.filter(pk=update.pk).update(
            created_at=update.created_at - timedelta(minutes=10)
        )
    type_under_heading(a, "Point 3", "Phrase à retirer.")
    expect(editor(b)).to_contain_text("Phrase à retirer.")
    wait_stored(a, meeting, "Phrase à retirer.")

    # The session page leads the note-taker to the history.
    h = new_page()
    log_in(h, awa.username, meeting.get_absolute_url())
    h.locator(f"a[href='/sessions/{meeting.pk}/minutes/history/']").click()
    expect(h.locator("[data-history]")).to_have_attribute("data-state", "ready")
    text = history_text(h)
    expect(text).to_contain_text("Phrase à retirer.")

    # Each passage is marked by its writer: a colour class, and their name.
    awa_passage = text.locator(f".authorship[data-author='u{awa.pk}']", has_text="Awa ouvre")
    paul_passage = text.locator(f".authorship[data-author='u{paul.pk}']", has_text="Paul présente")
    expect(awa_passage).to_have_attribute("title", "Écrit par Awa")
    expect(paul_passage).to_have_attribute("title", "Écrit par Paul")
    awa_class = awa_passage.get_attribute("class")
    paul_class = paul_passage.get_attribute("class")
    assert "authorship--none" not in awa_class
    assert awa_class != paul_class
    legend = h.locator("[data-history-legend] [data-author]")
    expect(legend.filter(has_text="Awa")).to_have_count(1)
    expect(legend.filter(has_text="Paul")).to_have_count(1)
    # Colour is not the only cue: choosing a name highlights only their passages.
    legend.filter(has_text="Paul").click()
    expect(legend.filter(has_text="Paul")).to_have_attribute("aria-pressed", "true")
    expect(text.locator(".authorship--chosen")).to_have_text(["Paul présente le budget."])
    legend.filter(has_text="Paul").click()

    # The slider goes back one version with the keyboard.
    slider = h.locator("[data-history-slider]")
    expect(h.locator("[data-history-restore]")).to_be_disabled()  # the current version
    slider.focus()
    h.keyboard.press("ArrowLeft")
    expect(h.locator("[data-history]")).to_have_attribute("data-state", "ready")
    expect(text).not_to_contain_text("Phrase à retirer.")
    expect(text).to_contain_text("Awa ouvre la séance.")
    expect(slider).to_have_attribute("aria-valuetext", re.compile(r"\d.*Awa"))
    h.locator("[data-history]").screenshot(path=screenshots_dir / "screenshot-minutes-history.png")

    violations = axe_violations(h)
    assert not violations, describe_violations("the minutes' history", violations)

    # Restoring asks first; Escape changes nothing.
    restore = h.locator("[data-history-restore]")
    restore.click()
    dialog = h.locator("[data-history-dialog]")
    expect(dialog).to_be_visible()
    h.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(restore).to_be_focused()
    expect(editor(b)).to_contain_text("Phrase à retirer.")
    # Confirmed, the version comes back live in both editors.
    restore.click()
    dialog.locator("button[value='restore']").click()

    expect(editor(a)).not_to_contain_text("Phrase à retirer.")
    expect(editor(b)).not_to_contain_text("Phrase à retirer.")
    expect(editor(b)).to_contain_text("Awa ouvre la séance.")
    expect(editor(a)).to_contain_text("Paul présente le budget.")
    # The restore is the newest version, and the text it removed is still there before it.
    expect(h.locator("[data-history-status]")).to_contain_text("Rétablie")
    expect(h.locator("[data-history-restore]")).to_be_disabled()
    expect(text).not_to_contain_text("Phrase à retirer.")
    slider.focus()
    h.keyboard.press("ArrowLeft")
    expect(text).to_contain_text("Phrase à retirer.")
    expect(h.locator("[data-history-position]")).to_contain_text("Awa")
    # Both editors still write: the restore was an ordinary edit.
    type_under_heading(b, "Point 3", "Après la restauration.")
    expect(editor(a)).to_contain_text("Après la restauration.")
