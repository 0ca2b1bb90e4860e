"""HTTP answers as the bridge understands them, shared by the Mastodon and Bluesky clients.

A JSON body is expected everywhere: a proxy's HTML error page (a 502 from nginx,
a maintenance page served with 200) is a server failure, not data.

>>> rate_limit_reset({"X-RateLimit-Reset": "2025-05-01T12:00:00.000Z"}).isoformat()
'2025-05-01T12:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from livechat.bridge.posts import RateLimited, Refused, Unauthorized, Unavailable

#: How long to wait after a 429 that says nothing about when to come back.
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)
USER_AGENT = "Plenary hashtag bridge (+https://github.com/)"


def rate_limit_reset(headers: Mapping[str, str]) -> datetime:
    """When a rate limit ends: Mastodon's ``X-RateLimit-Reset`` (ISO 8601), Bluesky's
    ``ratelimit-reset`` (Unix seconds), ``Retry-After`` (seconds), or a minute."""
    now = datetime.now(UTC)
    value = headers.get("X-RateLimit-Reset") or headers.get("x-ratelimit-reset")
    if value:
        try:
            if value.isdigit():
                return datetime.fromtimestamp(int(value), UTC)
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    value = headers.get("ratelimit-reset") or ""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    value = headers.get("Retry-After") or headers.get("retry-after") or ""
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    return now + DEFAULT_RATE_LIMIT_WAIT


def is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def error_text(response: httpx.Response) -> str:
    """The server's own words (``error``, ``message``) or the status line."""
    if is_json(response):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            words = [str(body[k]) for k in ("error", "message") if body.get(k)]
            if words:
                return f"{response.status_code}: {': '.join(words)}"[:300]
    return f"{response.status_code} {response.reason_phrase}".strip()


def check(response: httpx.Response) -> Any:
    """Return the JSON body of a successful answer, or raise what the runner handles."""
    status = response.status_code
    if status == 401:
        raise Unauthorized(error_text(response))
    if status == 429:
        raise RateLimited(error_text(response), until=rate_limit_reset(response.headers))
    if status >= 500:
        raise Unavailable(error_text(response))
    if status >= 400:
        raise Refused(error_text(response))
    if not is_json(response):
        raise Unavailable(f"{status}: expected JSON, got {response.headers.get('content-type')}")
    try:
        return response.json()
    except ValueError as exc:
        raise Unavailable(f"{status}: unreadable JSON") from exc
