"""Streaming into a session from an encoder, through a real nginx with its RTMP module.

ffmpeg publishes RTMP with the session's stream key; nginx calls the app's
``on_publish`` hook, which accepts the key and relays the stream to the
application that writes HLS under the session's public name; the open page
switches to the player and Chromium plays what nginx wrote. Stopping ffmpeg calls
``on_publish_done`` and the broadcast ends on the page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streaming.models import Stream
from tests import factories
from tests.e2e.pages import wait_until_connected
from tests.servers import AsgiServer, free_port
from tests.streaming.media import need, nginx_rtmp, publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADVANCING = """([from]) => {
  const video = document.querySelector('[data-player-video]');
  return video && !video.paused && video.currentTime > from;
}"""


@pytest.fixture
def ingest(server_env, tmp_path):
    """nginx-rtmp on loopback and an app server that knows where it writes HLS."""
    ffmpeg = need("ffmpeg")
    rtmp_port, http_port = free_port(), free_port()
    env = {
        **server_env,
        "PLENARY_INGEST_RELAY_URL": f"rtmp://127.0.0.1:{rtmp_port}/hls",
        "PLENARY_INGEST_HLS_URL": f"http://127.0.0.1:{http_port}/hls/{{name}}.m3u8",
        "PLENARY_INGEST_RTMP_URL": f"rtmp://127.0.0.1:{rtmp_port}/live",
    }
    server = AsgiServer("uvicorn", env)
    server.start()
    hook = f"{server.url}/streaming/hooks/nginx-rtmp/"
    try:
        with nginx_rtmp(tmp_path / "nginx", hook=hook, rtmp_port=rtmp_port, http_port=http_port):
            yield server.url, f"rtmp://127.0.0.1:{rtmp_port}/live", ffmpeg
    finally:
        server.stop()


def test_an_encoder_publishing_to_nginx_rtmp_takes_the_session_live_and_stopping_ends_it(
    browser, ingest
):
    base_url, rtmp, ffmpeg = ingest
    session = factories.make_session(title="Conseil municipal")
    stream = factories.make_stream(session)
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(session.get_absolute_url())
    wait_until_connected(page)
    expect(page.locator("[data-player]")).to_have_attribute("data-stream-status", "scheduled")

    encoder = publish(ffmpeg, f"{rtmp}/{stream.key}", seconds=60)
    try:
        expect(page.locator("[data-player]")).to_have_attribute("data-stream-status", "live")
        page.wait_for_function(ADVANCING, arg=[1.0], timeout=30_000)
        source = page.evaluate("document.querySelector('[data-player-video]').currentSrc")
        assert stream.key not in source
        stream.refresh_from_db()
        assert stream.status == Stream.Status.LIVE
    finally:
        encoder.terminate()
        encoder.wait(timeout=10)

    expect(page.locator("[data-player]")).to_have_attribute("data-stream-status", "ended")
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED
    context.close()


def test_nginx_refuses_an_encoder_with_a_wrong_key(ingest):
    _, rtmp, ffmpeg = ingest
    session = factories.make_session()
    stream = factories.make_stream(session)

    encoder = publish(ffmpeg, f"{rtmp}/not-the-key", seconds=5)

    assert encoder.wait(timeout=30) != 0  # nginx closed the connection
    stream.refresh_from_db()
    assert stream.status == Stream.Status.SCHEDULED
