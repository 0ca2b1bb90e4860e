"""Audio only: offered when the stream has an audio rendition, and then it is what plays.

ffmpeg writes a multivariant HLS with a video variant and an audio-only one (as an
encoder offering the choice does); Chromium plays it with hls.js. hls.js leaves
the audio-only variant out of its levels when there is video, so the player finds
it in the playlist and plays it on its own: the choice must really stop the video.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from streaming.models import Stream
from tests import factories
from tests.e2e.pages import wait_until_connected
from tests.streaming.media import make_hls, make_hls_with_audio_rendition, serve_directory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADVANCING = """([from]) => {
  const video = document.querySelector('[data-player-video]');
  return video && !video.paused && video.currentTime > from;
}"""
VIDEO_SIZE = (
    "(() => { const v = document.querySelector('[data-player-video]'); "
    "return [v.videoWidth, v.videoHeight]; })()"
)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Two 30 s streams served over HTTP: with an audio-only rendition, and without."""
    root = tmp_path_factory.mktemp("media")
    make_hls_with_audio_rendition(root / "with-audio", seconds=30)
    make_hls(root / "video-only", seconds=30)
    with serve_directory(root) as url:
        yield url


def live_page(new_page, url: str):
    session = factories.make_session()
    stream = factories.make_stream(session, kind=Stream.Kind.HLS, url=url)
    Stream.objects.filter(pk=stream.pk).update(status=Stream.Status.LIVE)
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(session.get_absolute_url())
    wait_until_connected(page)
    page.wait_for_function(ADVANCING, arg=[0.5], timeout=20_000)
    return page, requested


def test_choosing_audio_only_plays_the_audio_rendition(new_page, media):
    page, requested = live_page(new_page, f"{media}/with-audio/index.m3u8")
    assert page.evaluate(VIDEO_SIZE) == [320, 240]
    choice = page.get_by_label(re.compile("Audio seul|Audio only"))
    expect(choice).to_be_visible()

    choice.check()

    page.wait_for_function(
        "document.querySelector('[data-player-video]').videoWidth === 0", timeout=20_000
    )
    at = page.evaluate("document.querySelector('[data-player-video]').currentTime")
    page.wait_for_function(ADVANCING, arg=[at + 1.0], timeout=20_000)
    assert page.evaluate(VIDEO_SIZE) == [0, 0]
    expect(page.locator("[data-player-audio]")).to_be_visible()
    switched = next(i for i, url in enumerate(requested) if url.endswith("/audio.m3u8"))
    after = requested[switched:]
    assert any(re.search(r"/audio_\d+\.ts$", url) for url in after)
    assert not any(re.search(r"/video_\d+\.ts$", url) for url in after)

    # Back to the video: the whole stream again, and the choice is remembered.
    page.get_by_label(re.compile("^ ?Vidéo$|^ ?Video$")).check()
    page.wait_for_function(
        "document.querySelector('[data-player-video]').videoWidth === 320", timeout=20_000
    )
    page.get_by_label(re.compile("Audio seul|Audio only")).check()
    page.reload()
    wait_until_connected(page)
    page.wait_for_function(
        "(() => { const v = document.querySelector('[data-player-video]');"
        " return v.currentTime > 0.5 && v.videoWidth === 0; })()",
        timeout=20_000,
    )
    expect(page.locator("[data-player]")).to_have_attribute("data-mode", "audio")


def test_a_stream_without_an_audio_rendition_offers_no_audio_choice(new_page, media):
    page, _ = live_page(new_page, f"{media}/video-only/index.m3u8")

    expect(page.locator("[data-mode-audio]")).to_be_hidden()
    expect(page.get_by_label(re.compile("Texte seul|Text only"))).to_be_visible()
