"""Check a stream's source and turn it into what a page plays.

Only http(s) addresses are accepted, without credentials; embeds only from known
hosts: YouTube (always played through ``www.youtube-nocookie.com``) and the
PeerTube instances in ``PLENARY_PEERTUBE_HOSTS``. Example::

    >>> playable("youtube", "https://youtu.be/dQw4w9WgXcQ").url
    'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'

Every failure is an ``InvalidSource`` with a message that says what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils.translation import gettext

from streaming.exceptions import InvalidSource
from streaming.models import Stream

MAX_URL = 500
YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtu.be",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PEERTUBE_PATH = re.compile(r"/(?:w|videos/watch|videos/embed)/([A-Za-z0-9-]{8,40})/?")


@dataclass(frozen=True)
class Playable:
    """What the page's player loads: ``kind`` is ``hls``, ``file`` or ``embed``."""

    kind: str
    url: str
    provider: str = ""
    #: Load only once the viewer asks (third-party embeds that track).
    click_to_load: bool = False


def check_url(url: str) -> str:
    """Return ``url`` stripped if it is an http(s) address we may hand to browsers."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidSource(gettext("The address is too long."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidSource(gettext("This is not a valid address.")) from None
    if parts.scheme not in {"http", "https"}:
        raise InvalidSource(gettext("Only http and https addresses are accepted."))
    if not parts.hostname or parts.username or parts.password or port == 0:
        raise InvalidSource(gettext("This is not a valid address."))
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidSource(gettext("This is not a valid address."))
    return url


def youtube_embed(url: str) -> str:
    parts = urlsplit(check_url(url))
    host = (parts.hostname or "").lower()
    if host not in YOUTUBE_HOSTS:
        raise InvalidSource(gettext("This is not a YouTube address."))
    segments = [s for s in parts.path.split("/") if s]
    candidate = ""
    if host == "youtu.be" and len(segments) == 1:
        candidate = segments[0]
    elif segments == ["watch"]:
        candidate = parse_qs(parts.query).get("v", [""])[0]
    elif len(segments) == 2 and segments[0] in {"live", "embed", "shorts"}:
        candidate = segments[1]
    if not _YOUTUBE_ID.fullmatch(candidate):
        raise InvalidSource(gettext("No YouTube video in this address."))
    return f"https://www.youtube-nocookie.com/embed/{candidate}"


def peertube_embed(url: str) -> str:
    parts = urlsplit(check_url(url))
    host = (parts.hostname or "").lower()
    if host not in {h.lower() for h in settings.PLENARY_PEERTUBE_HOSTS}:
        raise InvalidSource(
            gettext("%(host)s is not one of the PeerTube instances this site knows.")
            % {"host": host}
        )
    match = _PEERTUBE_PATH.fullmatch(parts.path)
    if match is None:
        raise InvalidSource(gettext("No PeerTube video in this address."))
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return f"{parts.scheme}://{netloc}/videos/embed/{match.group(1)}"


def check_source(kind: str, url: str) -> str:
    """Validate what an organiser typed for ``kind``; return the address to keep."""
    if kind not in Stream.Kind.values:
        raise InvalidSource(gettext("Unknown kind of source."))
    if not url.strip():
        if kind == Stream.Kind.INGEST:
            return ""  # played from the ingest's own HLS address
        raise InvalidSource(gettext("Give the address of the video."))
    if kind == Stream.Kind.YOUTUBE:
        youtube_embed(url)
    elif kind == Stream.Kind.PEERTUBE:
        peertube_embed(url)
    return check_url(url)


def ingest_url(stream: Stream) -> str:
    """The HLS address the ingest writes for ``stream`` (empty when not configured)."""
    template = settings.PLENARY_INGEST_HLS_URL
    if stream.url:
        return stream.url
    return template.format(name=stream.public_name) if template else ""


def live_source(stream: Stream) -> Playable | None:
    """What the page plays while the broadcast is live (None: nothing to play yet)."""
    match stream.kind:
        case Stream.Kind.YOUTUBE:
            return Playable("embed", youtube_embed(stream.url), "youtube", click_to_load=True)
        case Stream.Kind.PEERTUBE:
            return Playable("embed", peertube_embed(stream.url), "peertube")
        case Stream.Kind.INGEST:
            url = ingest_url(stream)
            return Playable("hls", url) if url else None
        case _:
            return Playable("hls", stream.url) if stream.url else None


def replay_source(stream: Stream) -> Playable | None:
    """What the page plays once the replay is available."""
    url = stream.replay_url
    if not url and stream.kind in {Stream.Kind.YOUTUBE, Stream.Kind.PEERTUBE}:
        return live_source(stream)  # the platform keeps the live video as a replay
    if not url and stream.kind == Stream.Kind.INGEST:
        url = ingest_url(stream)  # the ingest recorded the whole broadcast
    if not url:
        return None
    path = urlsplit(url).path.lower()
    kind = "file" if path.endswith((".mp4", ".webm", ".m4a", ".mp3", ".ogg")) else "hls"
    return Playable(kind, url)
