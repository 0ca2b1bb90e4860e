"""A resident watches the broadcast: it goes live, plays, opens the room; the replay seeks.

The video is real: ffmpeg encodes a test pattern and a tone into HLS, a loopback
HTTP server serves it, and Chromium plays it with hls.js.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assemblies.models import AuditEntry
from assemblies.services import live
from streaming.models import Stream
from tests import factories
from tests.e2e.pages import PASSWORD, log_in, wait_until_connected
from tests.streaming.media import make_hls, serve_directory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADVANCING = """([from]) => {
  const video = document.querySelector('[data-player-video]');
  return video && !video.paused && video.currentTime > from;
}"""


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A 30 s "live" stream and a 14 s replay, served over HTTP."""
    root = tmp_path_factory.mktemp("media")
    make_hls(root / "live", seconds=30)
    make_hls(root / "replay", seconds=14)
    with serve_directory(root) as url:
        yield url


def test_the_broadcast_goes_live_plays_and_opens_the_room(new_page, media):
    # An hour early: the room is not open yet (it opens 15 minutes before).
    starts = timezone.now() + timedelta(hours=1)
    session = factories.make_session(
        title="Conseil de quartier", starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    factories.make_stream(session, kind=Stream.Kind.HLS, url=f"{media}/live/index.m3u8")
    organiser = factories.make_organiser(session, username="organisatrice", password=PASSWORD)
    url = session.get_absolute_url()

    resident = new_page()
    resident.goto(url)
    wait_until_connected(resident)
    expect(resident.locator("[data-stream-message='scheduled']")).to_be_visible()
    expect(resident.locator("[data-enter-room]")).to_be_hidden()
    expect(resident.locator("[data-room-notice]")).not_to_be_empty()
    expect(resident.locator("[data-viewer-count]")).not_to_be_empty()

    console = new_page()
    log_in(console, organiser.username, url)
    wait_until_connected(console)
    console.locator("[data-stream-action='stream.start'] button").click()

    resident.wait_for_function(ADVANCING, arg=[1.0], timeout=20_000)
    start = resident.evaluate("document.querySelector('[data-player-video]').currentTime")
    resident.wait_for_function(ADVANCING, arg=[start + 1.0], timeout=10_000)
    enter = resident.locator("[data-enter-room]")
    expect(enter).to_be_visible()
    expect(resident.locator("[data-announcer]")).to_have_text(
        re.compile("diffusion a commencé|broadcast has started")
    )
    expect(console.locator("[data-stream-action='stream.end'] button")).to_be_enabled()

    enter.focus()
    resident.keyboard.press("Enter")

    expect(resident.locator("#chat-heading")).to_be_focused()
    expect(enter).to_be_hidden()


def test_text_only_mode_downloads_no_video_and_keeps_the_room(new_page, media):
    session = factories.make_session()
    stream = factories.make_stream(session, kind=Stream.Kind.HLS, url=f"{media}/live/index.m3u8")
    Stream.objects.filter(pk=stream.pk).update(status=Stream.Status.LIVE)
    page = new_page()
    page.goto(session.get_absolute_url())
    wait_until_connected(page)
    page.wait_for_function(ADVANCING, arg=[0.5], timeout=20_000)

    page.get_by_label(re.compile("Text only|Texte seul")).check()

    expect(page.locator("[data-player-video]")).to_be_hidden()
    assert (
        page.evaluate("document.querySelector('[data-player-video]').getAttribute('src')") is None
    )
    expect(page.locator("[data-enter-room]")).to_be_visible()
    page.reload()
    wait_until_connected(page)
    expect(page.locator("[data-player]")).to_have_attribute("data-mode", "text")


def test_the_replay_jumps_to_an_agenda_item(new_page, media):
    session = factories.make_session(title="Assemblée de quartier")
    organiser = factories.make_organiser(session)
    live.start_session(session.pk, user=organiser)
    live.advance_agenda(session.pk, user=organiser)
    stream = factories.make_stream(
        session,
        kind=Stream.Kind.HLS,
        url=f"{media}/live/index.m3u8",
        replay_url=f"{media}/replay/index.m3u8",
    )
    moves = list(AuditEntry.objects.filter(session=session, action="agenda.current").order_by("pk"))
    started = moves[0].created_at
    moves[1].created_at = started + timedelta(seconds=8)
    moves[1].save()
    Stream.objects.filter(pk=stream.pk).update(
        status=Stream.Status.REPLAY, started_at=started, ended_at=started + timedelta(seconds=14)
    )

    page = new_page()
    page.goto(session.get_absolute_url())
    wait_until_connected(page)
    second = page.locator("[data-agenda] li").nth(1)
    jump = second.locator("[data-seek]")
    expect(jump).to_have_text(re.compile("00:08"))

    jump.click()

    page.wait_for_function(ADVANCING, arg=[8.0], timeout=20_000)
    at = page.evaluate("document.querySelector('[data-player-video]').currentTime")
    assert 8.0 <= at < 12.0
    chapters = page.request.get(f"/sessions/{session.pk}/chapters.vtt").text()
    assert "00:00:08.000 --> 00:00:14.000" in chapters


def test_a_youtube_embed_loads_only_when_asked(new_page, settings):
    session = factories.make_session()
    stream = factories.make_stream(
        session, kind=Stream.Kind.YOUTUBE, url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    Stream.objects.filter(pk=stream.pk).update(status=Stream.Status.LIVE)
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route(re.compile(r"youtube"), lambda route: route.fulfill(body="<p>video</p>"))
    page.goto(session.get_absolute_url())
    wait_until_connected(page)

    load = page.locator("[data-player-load-embed]")
    expect(load).to_be_visible()
    assert not [url for url in requested if "youtube" in url]
    load.click()

    frame = page.locator("[data-player-embed] iframe")
    expect(frame).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    expect(page.locator("[data-enter-room]")).to_be_visible()
