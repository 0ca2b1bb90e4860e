"""What the bridge carries: a post from outside on its way into the chat, and errors.

Clients turn each network's payload into an ``ImportedPost``; the service
``livechat.services.bridge.import_post`` stores it. Network failures become one
of four exceptions, which the runner answers in one place: ``Unauthorized``
stops that side of the bridge and tells the organisers; ``RateLimited`` waits
until the time the server gave; ``Unavailable`` (5xx, an HTML error page, a
broken or silent connection) retries with backoff; ``Refused`` (another 4xx)
fails the one post that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Media:
    url: str
    alt: str = ""


@dataclass(frozen=True)
class ImportedPost:
    network: str  # livechat.models.Network
    uri: str  # unique on its network: the status URI, the at:// URI
    url: str  # the original, for people
    text: str  # plain text (sanitised)
    author_name: str
    author_handle: str
    author_url: str
    created_at: datetime
    tags: frozenset[str]  # normalised
    content_warning: str = ""
    media: tuple[Media, ...] = field(default=())
    author_id: str = ""  # the account id or DID: recognises the bridge's own posts
    cursor: str = ""  # where to resume after this post (status id, time_us)
    external_id: str = ""  # Mastodon's status id on our instance (what ``delete`` names)
    labels: tuple[str, ...] = ()  # Bluesky's self-labels ("sexual", "graphic-media"...)
    edited_at: datetime | None = None  # when its author last edited it, if ever


class BridgeError(Exception):
    """A network answered in a way the bridge must react to."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(BridgeError):
    """The credentials were refused (401): retrying cannot help."""


class RateLimited(BridgeError):
    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class Unavailable(BridgeError):
    """The server or the connection failed: try again later."""


class Refused(BridgeError):
    """The server refused this request (4xx other than 401 and 429)."""
