"""Stream sources: http(s) only, embeds from known hosts, YouTube through no-cookie."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streaming.exceptions import InvalidSource
from streaming.models import Stream
from streaming.services import sources


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    ],
)
def test_youtube_addresses_play_through_the_no_cookie_host(url):
    assert sources.youtube_embed(url) == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


def test_peertube_videos_of_known_instances_are_embedded(settings):
    settings.PLENARY_PEERTUBE_HOSTS = ["framatube.org"]

    embed = sources.peertube_embed("https://framatube.org/w/kkGMgK9ZtnKfYAgnEtQxbv")

    assert embed == "https://framatube.org/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv"


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("hls", "rtmp://example.org/live/stream"),
        ("hls", "javascript:alert(1)"),
        ("hls", "file:///etc/passwd"),
        ("hls", "https://user:secret@example.org/live.m3u8"),
        ("hls", "https:///live.m3u8"),
        ("hls", "https://example.org/live\n.m3u8"),
        ("youtube", "https://vimeo.com/123456"),
        ("youtube", "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ"),
        ("youtube", "https://www.youtube.com/watch?v=short"),
        ("peertube", "https://unknown-instance.example/w/kkGMgK9ZtnKfYAgnEtQxbv"),
        ("hls", ""),
        ("teletext", "https://example.org/live.m3u8"),
    ],
)
def test_other_schemes_hosts_and_shapes_are_refused(kind, url):
    with pytest.raises(InvalidSource):
        sources.check_source(kind, url)


def test_the_ingest_needs_no_address_and_plays_its_public_name(settings, db):
    settings.PLENARY_INGEST_HLS_URL = "https://stream.example.org/hls/{name}.m3u8"
    stream = Stream(session_id=12, kind=Stream.Kind.INGEST, key="secret")

    assert sources.check_source("ingest", "") == ""
    playable = sources.live_source(stream)

    assert playable is not None
    assert playable.url == "https://stream.example.org/hls/session-12.m3u8"
    assert "secret" not in playable.url


def test_a_replay_file_plays_as_a_file_and_a_playlist_with_hls():
    stream = Stream(kind=Stream.Kind.HLS, replay_url="https://cdn.example.org/r.mp4")
    assert sources.replay_source(stream) == sources.Playable("file", stream.replay_url)
    stream.replay_url = "https://cdn.example.org/vod/index.m3u8"
    assert sources.replay_source(stream) == sources.Playable("hls", stream.replay_url)


@given(kind=st.sampled_from(["hls", "youtube", "peertube", "ingest", "x"]), url=st.text())
def test_any_input_is_accepted_or_refused_with_invalid_source(kind, url):
    try:
        kept = sources.check_source(kind, url)
    except InvalidSource:
        return
    assert kept == "" or kept.split(":", 1)[0] in {"http", "https"}
