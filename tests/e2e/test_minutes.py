"""Two note-takers write the minutes together; a reader watches them grow, read-only.

Elements are found by role, label and data attributes: the minutes' own words may
not be in the French catalog yet.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assemblies.models import Session
from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import load_doc, plain_text
from tests import factories
from tests.e2e.pages import PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(db) -> Session:
    return factories.make_session(title="Comité de quartier")


def open_minutes(page, session: Session, user=None) -> None:
    if user is not None:
        log_in(page, user.username, session.get_absolute_url())
    else:
        page.goto(session.get_absolute_url())
    expect(page.locator("[data-minutes]")).to_have_attribute("data-state", "synced")


def editor(page):
    return page.locator("[data-minutes-editor] .ProseMirror")


def type_under_heading(page, heading: str, text: str) -> None:
    """Click at the end of the paragraph that follows ``heading`` and type."""
    paragraph = editor(page).locator(f"h2:has-text('{heading}') + p")
    paragraph.click()
    page.keyboard.press("End")
    page.keyboard.type(text, delay=10)


def stored_text(session: Session) -> str:
    minutes = Minutes.objects.get(session=session)
    return plain_text(load_doc(store.load_document(minutes.pk).blobs()))


def test_two_note_takers_write_and_a_reader_follows_live(new_page, meeting, screenshots_dir):
    awa = factories.make_note_taker(meeting, username="awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_note_taker(
        meeting, username="paul", password=PASSWORD, display_name="Paul"
    )
    a, b, reader = new_page(), new_page(), new_page()
    open_minutes(a, meeting, awa)
    open_minutes(b, meeting, paul)
    open_minutes(reader, meeting)

    # The skeleton came from the server, once: a heading per agenda item.
    expect(editor(reader).locator("h2")).to_have_text(["Point 1", "Point 2", "Point 3"])
    expect(editor(a)).to_have_attribute("contenteditable", "true")
    expect(editor(a)).to_have_attribute("aria-label", re.compile(r"\S"))
    expect(a.get_by_role("toolbar")).to_be_visible()
    expect(reader.get_by_role("toolbar")).to_have_count(0)

    type_under_heading(a, "Point 1", "Awa note l’ouverture.")
    type_under_heading(b, "Point 2", "Paul note le budget.")

    expect(editor(reader)).to_contain_text("Awa note l’ouverture.")
    expect(editor(reader)).to_contain_text("Paul note le budget.")
    expect(editor(a)).to_contain_text("Paul note le budget.")
    expect(editor(b)).to_contain_text("Awa note l’ouverture.")
    # Who is writing, with carets named after each writer.
    writers = reader.locator("[data-minutes-writer-list] li")
    expect(writers).to_have_text(["Awa", "Paul"])
    expect(a.locator(".collaboration-carets__label", has_text="Paul")).to_be_visible()
    # The reader reads: the editor is not editable and its socket stays open.
    expect(editor(reader)).to_have_attribute("contenteditable", "false")
    expect(reader.locator("[data-minutes]")).to_have_attribute("data-state", "synced")
    # The headings were not duplicated by any client.
    expect(editor(b).locator("h2")).to_have_count(3)

    a.locator("#minutes").screenshot(path=screenshots_dir / "screenshot-minutes.png")
    text = stored_text(meeting)
    assert "Awa note l’ouverture." in text
    assert "Paul note le budget." in text


def test_a_note_taker_offline_keeps_writing_and_merges_on_reconnect(new_page, meeting):
    awa = factories.make_note_taker(meeting, username="awa", password=PASSWORD, display_name="Awa")
    paul = factories.make_note_taker(
        meeting, username="paul", password=PASSWORD, display_name="Paul"
    )
    a, b = new_page(), new_page()
    open_minutes(a, meeting, awa)
    open_minutes(b, meeting, paul)

    a.evaluate("document.querySelector('[data-minutes]').minutes.provider.disconnect()")
    expect(a.locator("[data-minutes]")).to_have_attribute("data-state", "offline")
    type_under_heading(a, "Point 3", "Écrit hors ligne.")
    type_under_heading(b, "Point 1", "Écrit en ligne.")
    expect(editor(b)).not_to_contain_text("Écrit hors ligne.")

    a.evaluate("document.querySelector('[data-minutes]').minutes.provider.connect()")

    expect(editor(b)).to_contain_text("Écrit hors ligne.")
    expect(editor(a)).to_contain_text("Écrit en ligne.")
    assert "Écrit hors ligne." in stored_text(meeting)


# How many updates this browser holds of the minutes (y-indexeddb's "updates" store).
# 0 while the page has not created it (opening it here first would create it empty).
STORED_UPDATES = """async (name) => {
  const known = await indexedDB.databases();
  if (!known.some((db) => db.name === name)) return 0;
  const db = await new Promise((ok, fail) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  if (!db.objectStoreNames.contains("updates")) { db.close(); return 0; }
  const count = await new Promise((ok, fail) => {
    const request = db.transaction("updates").objectStore("updates").count();
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  db.close();
  return count;
}"""


def wait_for_stored(page, name: str, *, at_least: int) -> int:
    """Wait until the page's copy holds ``at_least`` updates (10 s at most)."""
    for _ in range(100):
        count = page.evaluate(STORED_UPDATES, name)
        if count >= at_least:
            return count
        page.wait_for_timeout(100)
    raise AssertionError(f"{name} holds {count} updates, not {at_least}")


def test_what_a_note_taker_writes_offline_outlives_a_reload(new_page, meeting):
    awa = factories.make_note_taker(meeting, username="awa", password=PASSWORD, display_name="Awa")
    a, reader = new_page(), new_page()
    open_minutes(a, meeting, awa)
    open_minutes(reader, meeting)
    copy = f"plenary-minutes-{Minutes.objects.get(session=meeting).pk}-{awa.pk}"
    # The page keeps its copy from the start: the skeleton is in it.
    before = wait_for_stored(a, copy, at_least=1)

    a.evaluate("document.querySelector('[data-minutes]').minutes.provider.disconnect()")
    expect(a.locator("[data-minutes]")).to_have_attribute("data-state", "offline")
    text = "Noté pendant la coupure."
    type_under_heading(a, "Point 2", text)
    # Every keystroke is kept in the browser before the page goes away.
    wait_for_stored(a, copy, at_least=before + len(text))
    assert text not in stored_text(meeting)

    a.reload()

    expect(a.locator("[data-minutes]")).to_have_attribute("data-state", "synced")
    expect(editor(a)).to_contain_text(text)
    expect(editor(reader)).to_contain_text(text)
    assert text in stored_text(meeting)
    # The same words once: the kept copy and the server's document merged.
    assert stored_text(meeting).count(text) == 1
