"""A Mastodon client for the bridge: the hashtag stream, the tag timeline, posting.

Following a tag (``MastodonClient.follow`` does it once, the runner loops):

1. connect to ``/api/v1/streaming/hashtag?tag=<tag>`` (Server-Sent Events; a user
   token is required since Mastodon 4.2);
2. then backfill ``/api/v1/timelines/tag/<tag>`` forward from the newest status
   seen (``min_id``), page after page, so posts made while the stream was down
   arrive; the stream's events wait meanwhile and duplicates are dropped by the
   service (statuses are unique by ``uri`` in a session);
3. read the stream. Any bytes, heartbeats (``:thump``) included, reset the read
   timeout; a stream silent for longer is treated as dead.

Statuses become ``ImportedPost`` values (``to_post``): boosts are skipped, a
status the account's filters ``hide`` is dropped, HTML is sanitised, the content
warning and media descriptions are kept.

The stream also says when a status changes: ``status.update`` carries the edited
status (``on_edit``), ``delete`` only its id as a bare string (``on_delete``).
Mastodon sends both to the hashtag streams of the status's tags, so a status with
two followed tags is announced twice (the service applies each change once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from livechat.bridge import http
from livechat.bridge.posts import ImportedPost, Media, Unavailable
from livechat.bridge.sanitise import html_to_text
from livechat.bridge.sse import SSEParser
from livechat.models import Network
from livechat.text import normalise_tag

logger = logging.getLogger(__name__)

#: Mastodon sends ``:thump`` every 15 s or so; three missed heartbeats and more.
READ_TIMEOUT = 60.0
#: Statuses per timeline page (Mastodon's maximum is 40).
PAGE = 40
#: Pages read forward after a reconnect, at most: a longer outage loses the oldest.
MAX_BACKFILL_PAGES = 25


def status_id_key(status_id: str) -> tuple[int, str]:
    """Order Mastodon ids (numeric strings of varying length) without parsing them."""
    return (len(status_id), status_id)


def newer(a: str, b: str) -> str:
    """The newer of two status ids ("" is older than anything)."""
    return max(a, b, key=status_id_key) if a and b else a or b


def _when(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def hidden_by_filter(status: dict[str, Any]) -> bool:
    """Whether one of the account's filters says ``hide`` for this status."""
    for result in status.get("filtered") or ():
        rule = result.get("filter") if isinstance(result, dict) else None
        if isinstance(rule, dict) and rule.get("filter_action") == "hide":
            return True
    return False


def to_post(status: dict[str, Any], wanted: Iterable[str] = ()) -> ImportedPost | None:
    """The status as a post for the chat, or None (a boost, hidden by a filter, not
    about a wanted tag when ``wanted`` is given)."""
    if status.get("reblog") or hidden_by_filter(status):
        return None
    tags = frozenset(
        normalise_tag(str(t.get("name", ""))) for t in status.get("tags") or () if t.get("name")
    )
    wanted = set(wanted)
    if wanted and not tags & wanted:
        return None
    account = status.get("account") or {}
    media = tuple(
        Media(
            url=str(m.get("remote_url") or m.get("url") or ""), alt=str(m.get("description") or "")
        )
        for m in status.get("media_attachments") or ()
        if m.get("url") or m.get("remote_url")
    )
    return ImportedPost(
        network=Network.MASTODON,
        uri=str(status["uri"]),
        url=str(status.get("url") or status["uri"]),
        text=html_to_text(str(status.get("content") or "")),
        author_name=str(account.get("display_name") or account.get("username") or ""),
        author_handle=str(account.get("acct") or ""),
        author_url=str(account.get("url") or ""),
        author_id=str(account.get("id") or ""),
        created_at=_when(status.get("created_at")),
        tags=tags,
        content_warning=str(status.get("spoiler_text") or ""),
        media=media,
        cursor=str(status.get("id") or ""),
        external_id=str(status.get("id") or ""),
        edited_at=_when(status["edited_at"]) if status.get("edited_at") else None,
    )


class MastodonClient:
    """One account on one instance. ``token`` is a user access token (``read`` to
    follow a tag, ``write:statuses`` to post)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.read_timeout = read_timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": http.USER_AGENT},
            timeout=httpx.Timeout(15.0, read=read_timeout),
            transport=transport,
            follow_redirects=False,
        )
        self._streaming_base: str | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            return await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc

    async def verify_credentials(self) -> dict[str, Any]:
        """The account behind the token (its ``id`` recognises our own posts)."""
        body = http.check(await self._get("/api/v1/accounts/verify_credentials"))
        return dict(body)

    async def streaming_base(self) -> str:
        """Where the streaming API lives: the instance says so (``urls.streaming_api``)."""
        if self._streaming_base is None:
            body = http.check(await self._get("/api/v1/instance"))
            url = str((body.get("urls") or {}).get("streaming_api") or "")
            parts = urlsplit(url)
            scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
            if scheme in {"http", "https"} and parts.netloc:
                self._streaming_base = f"{scheme}://{parts.netloc}"
            else:
                self._streaming_base = self.base_url
        return self._streaming_base

    async def latest_id(self, tag: str) -> str:
        """The newest status id of the tag's timeline ("" when it is empty)."""
        body = http.check(await self._get(f"/api/v1/timelines/tag/{tag}", limit=1))
        return str(body[0]["id"]) if body else ""

    async def backfill(self, tag: str, min_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every status of the tag newer than ``min_id``, oldest first, paged forward."""
        for _ in range(MAX_BACKFILL_PAGES):
            page = http.check(
                await self._get(f"/api/v1/timelines/tag/{tag}", min_id=min_id, limit=PAGE)
            )
            if not page:
                return
            page.sort(key=lambda s: status_id_key(str(s["id"])))
            for status in page:
                yield status
            min_id = str(page[-1]["id"])
            if len(page) < PAGE:
                return

    async def stream(self, tag: str) -> AsyncGenerator[tuple[str, Any], None]:
        """The tag's live events: ``("open", None)`` once connected, then ``("update",
        status)``, ``("status.update", status)``, ``("delete", id)``. Raises
        ``Unavailable`` when the stream ends or goes silent."""
        base = await self.streaming_base()
        url = f"{base}/api/v1/streaming/hashtag"
        parser = SSEParser()
        try:
            async with self._http.stream("GET", url, params={"tag": tag}) as response:
                if response.status_code != 200:
                    await response.aread()
                    http.check(response)
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    kind = response.headers.get("content-type")
                    raise Unavailable(f"not an event stream: {kind}")
                yield "open", None
                async for chunk in response.aiter_raw():
                    for event in parser.feed(chunk):
                        yield event.event, _payload(event.event, event.data)
        except httpx.ReadTimeout as exc:
            raise Unavailable(f"stream silent for {self.read_timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        raise Unavailable("the stream ended")

    async def follow(
        self,
        tag: str,
        *,
        since: str,
        on_status: Callable[[dict[str, Any]], Awaitable[None]],
        on_connected: Callable[[], Awaitable[None]],
        on_edit: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
        on_delete: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Connect, backfill from ``since`` (when given), then hand over every status
        until the stream fails (``Unavailable`` and the like propagate). Edited
        statuses go to ``on_edit`` and deleted status ids to ``on_delete`` (both to
        ``on_status``, and deletions nowhere, when not given)."""
        events = self.stream(tag)
        queue: asyncio.Queue[tuple[str, Any] | BaseException] = asyncio.Queue()

        async def read() -> None:
            try:
                async for item in events:
                    await queue.put(item)
            except BaseException as exc:  # handed to the reader below, which raises it
                await queue.put(exc)
                if not isinstance(exc, Exception):
                    raise

        reader = asyncio.create_task(read(), name=f"mastodon-stream-{tag}")
        try:
            opened = await queue.get()  # the stream answered (or failed): now backfill
            if isinstance(opened, BaseException):
                raise opened
            await on_connected()
            if since:
                async for status in self.backfill(tag, since):
                    await on_status(status)
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                kind, payload = item
                if kind == "update" and isinstance(payload, dict):
                    await on_status(payload)
                elif kind == "status.update" and isinstance(payload, dict):
                    await (on_edit or on_status)(payload)
                elif kind == "delete" and on_delete is not None and _is_id(payload):
                    await on_delete(payload)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await events.aclose()

    async def post_status(self, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Publish ``text`` publicly; the same key within an hour publishes it once."""
        try:
            response = await self._http.post(
                "/api/v1/statuses",
                data={"status": text, "visibility": "public"},
                headers={"Idempotency-Key": idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        return dict(http.check(response))


_STATUS_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _is_id(payload: Any) -> bool:
    """A status id as ``delete`` sends it: digits on Mastodon, letters too elsewhere."""
    return isinstance(payload, str) and _STATUS_ID.fullmatch(payload) is not None


def _payload(kind: str, data: str) -> Any:
    if kind == "delete":
        return data.strip()
    try:
        return json.loads(data)
    except ValueError:
        logger.warning("mastodon stream: unreadable %s event", kind)
        return None
