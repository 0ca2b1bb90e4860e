"""Minutes tied to the session: decisions and actions in a live register, quotes from
the chat and the questions, broadcast times that seek the replay.

A note-taker writes in Chromium while a reader follows on another page; the video
is real (ffmpeg's HLS, served on loopback). Elements are found by data attributes:
the new words may not be in the French catalog yet.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assemblies.services import live
from livechat.services.messages import post_message
from livechat.services.questions import ask_question
from minutes.models import Minutes
from minutes.services import store
from minutes.services.document import load_doc, read_tree
from minutes.services.register import minutes_register
from streaming.models import Stream
from tests import factories
from tests.e2e.pages import PASSWORD, log_in
from tests.streaming.media import make_hls, serve_directory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADVANCING = """([from]) => {
  const video = document.querySelector('[data-player-video]');
  return video && !video.paused && video.currentTime > from;
}"""


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A 14 s replay, served over HTTP."""
    root = tmp_path_factory.mktemp("media")
    make_hls(root / "replay", seconds=14)
    with serve_directory(root) as url:
        yield url


def open_minutes(page, session, user=None, fragment: str = "") -> None:
    url = session.get_absolute_url()
    if user is not None:
        log_in(page, user.username, url)
        if fragment:
            page.goto(url + fragment)
    else:
        page.goto(url + fragment)
    expect(page.locator("[data-minutes]")).to_have_attribute("data-state", "synced")


def editor(page):
    return page.locator("[data-minutes-editor] .ProseMirror")


def type_under_heading(page, heading: str, text: str) -> None:
    paragraph = editor(page).locator(f"h2:has-text('{heading}') + p")
    paragraph.click()
    page.keyboard.press("End")
    page.keyboard.type(text, delay=10)


def tool(page, command: str):
    return page.locator(f"[data-minutes-toolbar] [data-command='{command}']")


def stored_tree(session):
    minutes = Minutes.objects.get(session=session)
    return read_tree(load_doc(store.load_document(minutes.pk).blobs()))


def test_decisions_and_actions_reach_a_readers_register_live(new_page):
    session = factories.make_session(title="Comité de quartier")
    awa = factories.make_note_taker(session, username="awa", password=PASSWORD, display_name="Awa")
    writer, reader = new_page(), new_page()
    open_minutes(writer, session, awa)
    open_minutes(reader, session)
    register = reader.locator("[data-minutes-register]")
    expect(register.locator("[data-register-no-decisions]")).to_be_visible()

    type_under_heading(writer, "Point 2", "Le budget est adopté.")
    tool(writer, "decision").click()

    expect(tool(writer, "decision")).to_have_attribute("aria-pressed", "true")
    expect(editor(reader).locator("[data-type='decision']")).to_contain_text("Le budget")
    decisions = register.locator("[data-register-decisions] li")
    expect(decisions).to_have_count(1)
    expect(decisions).to_contain_text("Le budget est adopté.")
    expect(decisions).to_contain_text("Point 2")
    expect(register.locator("[data-register-no-decisions]")).to_be_hidden()

    # An action, from the keyboard: Enter leaves the decision for a paragraph.
    editor(writer).locator("[data-type='decision']").click()
    writer.keyboard.press("End")
    writer.keyboard.press("Enter")
    writer.keyboard.type("Envoyer le devis aux habitants.", delay=10)
    tool(writer, "action").focus()
    writer.keyboard.press("Enter")
    owner = writer.locator("[data-minutes-action-owner]")
    expect(owner).to_be_focused()
    owner.fill("Awa")
    writer.locator("[data-minutes-action-due]").fill("2031-03-01")
    owner.press("Enter")

    expect(writer.locator("[data-minutes-action-form]")).to_be_hidden()
    expect(editor(writer)).to_be_focused()
    actions = register.locator("[data-register-actions] li")
    expect(actions).to_have_count(1)
    expect(actions).to_contain_text("Envoyer le devis aux habitants.")
    expect(actions).to_contain_text("Awa")
    expect(actions.locator("time")).to_have_attribute("datetime", "2031-03-01")
    expect(actions).to_contain_text("Point 2")
    expect(editor(reader).locator("[data-type='action']")).to_contain_text("Awa")

    # The server reads the same register from the stored document.
    minutes = Minutes.objects.get(session=session)
    stored = minutes_register(minutes.pk)
    assert [(d.text, d.item) for d in stored.decisions] == [("Le budget est adopté.", "Point 2")]
    assert [(a.text, a.owner, a.due, a.item) for a in stored.actions] == [
        ("Envoyer le devis aux habitants.", "Awa", date(2031, 3, 1), "Point 2")
    ]
    # ... and renders it on a fresh page load too.
    reader.reload()
    expect(reader.locator("[data-register-actions] li")).to_contain_text("Awa")


def test_a_note_taker_quotes_a_chat_message_and_a_question(new_page):
    session = factories.make_session(title="Assemblée de quartier")
    organiser = factories.make_organiser(session)
    live.start_session(session.pk, user=organiser)  # the current item: Point 1
    resident = factories.make_user("habitante", display_name="Inès")
    post_message(session.pk, user=resident, text="<b>Et le marché</b> du mardi ?", client_id="q-1")
    ask_question(session.pk, user=resident, text="Quand rouvre la piscine ?", client_id="q-2")
    awa = factories.make_note_taker(session, username="awa", password=PASSWORD, display_name="Awa")
    writer, reader = new_page(), new_page()
    open_minutes(writer, session, awa)
    open_minutes(reader, session)

    message = writer.locator("[data-chat-list] > li").filter(has_text="du mardi")
    quote = message.locator("[data-action='quote']")
    expect(quote).to_be_visible()
    reader_message = reader.locator("[data-chat-list] > li").filter(has_text="du mardi")
    expect(reader_message).to_be_visible()
    expect(reader_message.locator("[data-action='quote']")).to_be_hidden()

    quote.click()

    blockquote = editor(reader).locator("blockquote")
    expect(blockquote).to_have_count(1)
    expect(blockquote).to_contain_text("<b>Et le marché</b> du mardi ?")  # text, not markup
    expect(blockquote).to_contain_text("Inès")
    expect(blockquote).to_contain_text("Point 1")
    expect(blockquote.locator("b")).to_have_count(0)
    expect(writer.locator("[data-minutes-feedback]")).not_to_be_empty()
    # At the end of the current item's section: before the next item's heading.
    order = editor(writer).locator("h2, blockquote").all_inner_texts()
    assert order[:1] + order[2:3] == ["Point 1", "Point 2"]
    assert "Inès" in order[1]

    # A question, once the note-taker has put the cursor in the minutes: after it.
    type_under_heading(writer, "Point 3", "Questions du public.")
    question = writer.locator("[data-questions] li").filter(has_text="piscine")
    question.locator("[data-action='quote']").click()

    expect(editor(reader).locator("blockquote")).to_have_count(2)
    texts = editor(writer).locator("h2, blockquote, p").all_inner_texts()
    at = texts.index("Questions du public.")
    assert "Quand rouvre la piscine ?" in texts[at + 1]
    kinds = [node.type for node in stored_tree(session)]
    assert kinds.count("blockquote") == 2


def test_a_time_marked_live_seeks_the_replay(new_page, media):
    session = factories.make_session(title="Conseil de quartier")
    awa = factories.make_note_taker(session, username="awa", password=PASSWORD, display_name="Awa")
    stream = factories.make_stream(
        session,
        kind=Stream.Kind.HLS,
        url=f"{media}/replay/index.m3u8",
        replay_url=f"{media}/replay/index.m3u8",
    )
    started = timezone.now() - timedelta(seconds=95)
    Stream.objects.filter(pk=stream.pk).update(status=Stream.Status.LIVE, started_at=started)
    writer = new_page()
    open_minutes(writer, session, awa)

    # "Mark the time": the broadcast's time now, about 1:35 in.
    type_under_heading(writer, "Point 1", "La maire ouvre la séance.")
    tool(writer, "markTime").click()
    stamp = editor(writer).locator("p .minutes__time time")
    expect(stamp).to_have_text(re.compile(r"01:3\d|01:4\d"))
    # Also editable: "Edit the time" asks, and the answer replaces it.
    writer.once("dialog", lambda dialog: dialog.accept("0:09"))
    tool(writer, "editTime").click()
    expect(stamp).to_have_text("00:09")
    timed = [node.attrs["time"] for node in stored_tree(session) if "time" in node.attrs]
    assert timed == [9]

    # After the end, the replay: the reader's time is a button that seeks there.
    Stream.objects.filter(pk=stream.pk).update(
        status=Stream.Status.REPLAY, ended_at=started + timedelta(seconds=14)
    )
    reader = new_page()
    open_minutes(reader, session)
    seek = editor(reader).locator("button[data-seek]")
    expect(seek).to_have_text("00:09")
    expect(seek).to_have_attribute("aria-label", re.compile("00:09"))

    seek.click()

    reader.wait_for_function(ADVANCING, arg=[9.0], timeout=20_000)
    at = reader.evaluate("document.querySelector('[data-player-video]').currentTime")
    assert 9.0 <= at < 13.0

    # A link to that moment (the published minutes' times): #t=<seconds>.
    linked = new_page()
    open_minutes(linked, session, fragment="#t=6")
    linked.wait_for_function(ADVANCING, arg=[6.0], timeout=20_000)
    assert linked.evaluate("document.querySelector('[data-player-video]').currentTime") < 11.0
