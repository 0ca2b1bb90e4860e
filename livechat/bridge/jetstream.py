"""A Jetstream client: Bluesky posts as JSON over a websocket, resumable by cursor.

Jetstream (``/subscribe?wantedCollections=app.bsky.feed.post``) sends every new
post of the network; the bridge keeps those with a wanted tag. Each event has a
``time_us`` cursor. A reconnect passes the last one seen (``&cursor=``), and
Jetstream replays from that instant *inclusive*: the boundary event comes again,
and posts are unique by DID and record key (their ``at://`` URI) in the chat.

A post's author may delete it (``operation: delete``, no record) or, rarely, put
a new version of it (``operation: update``, with the record): ``deleted_uri`` and
``post_record`` read both, and the runner applies them to the posts it imported.

Bluesky has no content-warning field. Authors label their own posts instead
(self-labels, ``labels: {"$type": "com.atproto.label.defs#selfLabels",
"values": [{"val": "graphic-media"}]}``; the app offers ``sexual``, ``nudity``,
``porn`` and ``graphic-media``): ``self_labels`` keeps every value, and pages
show them collapsed, named, as a content warning. Labels that moderation
services put on posts are not in the record (the AppView adds them to its own
answers), so Jetstream never sees them.

>>> event = {"did": "did:plc:abc", "time_us": 1725911162329308, "kind": "commit",
...          "commit": {"operation": "create", "collection": "app.bsky.feed.post",
...                     "rkey": "3l3qo2vuowo2b", "record": {"text": "Ouverture #AssMedNum",
...                     "createdAt": "2024-09-09T19:46:02.102Z"}}}
>>> post_uri(event)
'at://did:plc:abc/app.bsky.feed.post/3l3qo2vuowo2b'
>>> sorted(matching_tags(event, {"assmednum"}))
['assmednum']
>>> self_labels({"labels": {"$type": "com.atproto.label.defs#selfLabels",
...                         "values": [{"val": "graphic-media"}, {"val": "nudity"}]}})
('graphic-media', 'nudity')
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from livechat.bridge.http import rate_limit_reset
from livechat.bridge.posts import (
    ImportedPost,
    Media,
    RateLimited,
    Refused,
    Unauthorized,
    Unavailable,
)
from livechat.bridge.tags import record_tags
from livechat.models import Network

POST = "app.bsky.feed.post"
#: At most this many self-labels per record (the lexicon's limit), of this length.
MAX_LABELS = 10
MAX_LABEL_LENGTH = 128
READ_TIMEOUT = 60.0  # Jetstream is never quiet for long: the whole network posts
MAX_EVENT_BYTES = 1 << 20


def subscribe_url(endpoint: str, cursor: int | None) -> str:
    """The ``/subscribe`` URL for posts, resuming at ``cursor`` (microseconds)."""
    parts = urlsplit(endpoint)
    path = (
        parts.path if parts.path.endswith("/subscribe") else parts.path.rstrip("/") + "/subscribe"
    )
    query = {"wantedCollections": POST}
    if cursor:
        query["cursor"] = str(cursor)
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def post_uri(event: dict[str, Any]) -> str:
    commit = event["commit"]
    return f"at://{event['did']}/{commit['collection']}/{commit['rkey']}"


def _post_commit(event: dict[str, Any]) -> dict[str, Any] | None:
    """The commit of an event about a post (with its DID and record key), or None."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return None
    if commit.get("collection") != POST or not commit.get("rkey") or not event.get("did"):
        return None
    return commit


def operation(event: dict[str, Any]) -> str:
    """``create``, ``update`` or ``delete`` for a post's commit; "" for anything else."""
    commit = _post_commit(event)
    return str(commit.get("operation") or "") if commit is not None else ""


def post_record(event: dict[str, Any]) -> dict[str, Any] | None:
    """The post record of a ``create`` or ``update`` commit, or None for anything else."""
    commit = _post_commit(event)
    if commit is None or commit.get("operation") not in {"create", "update"}:
        return None
    record = commit.get("record")
    return dict(record) if isinstance(record, dict) else None


def created_post(event: dict[str, Any]) -> dict[str, Any] | None:
    """The post record of a ``create`` commit, or None for anything else."""
    return post_record(event) if operation(event) == "create" else None


def deleted_uri(event: dict[str, Any]) -> str:
    """The ``at://`` URI of a deleted post ("" when the event is not a deletion)."""
    return post_uri(event) if operation(event) == "delete" else ""


def matching_tags(event: dict[str, Any], wanted: set[str]) -> set[str]:
    """The wanted tags of a new or updated post (none for anything else)."""
    record = post_record(event)
    return record_tags(record) & wanted if record is not None else set()


def self_labels(record: dict[str, Any]) -> tuple[str, ...]:
    """The values of a record's self-labels, each once, in their order."""
    labels = record.get("labels")
    if not isinstance(labels, dict) or not isinstance(labels.get("values"), list):
        return ()
    found: dict[str, None] = {}
    for label in labels["values"][:MAX_LABELS]:
        value = label.get("val") if isinstance(label, dict) else None
        if isinstance(value, str) and value.strip():
            found[value.strip()[:MAX_LABEL_LENGTH]] = None
    return tuple(found)


def _media(did: str, record: dict[str, Any]) -> tuple[Media, ...]:
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return ()
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = embed.get("media") if isinstance(embed.get("media"), dict) else {}
    found = []
    for image in embed.get("images") or () if isinstance(embed, dict) else ():
        ref = ((image.get("image") or {}).get("ref") or {}).get("$link")
        if ref:
            url = f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{ref}@jpeg"
            found.append(Media(url=url, alt=str(image.get("alt") or "")))
    return tuple(found)


def to_post(event: dict[str, Any], tags: set[str], handle: str, name: str) -> ImportedPost:
    """A new or updated post as the chat takes it (an update's ``edited_at`` is the
    event's time)."""
    record = post_record(event) or {}
    did = str(event["did"])
    rkey = str(event["commit"]["rkey"])
    try:
        created = datetime.fromisoformat(str(record.get("createdAt")).replace("Z", "+00:00"))
    except ValueError:
        created = datetime.now(UTC)
    edited_at = None
    if operation(event) == "update":
        time_us = event.get("time_us")
        seconds = time_us / 1_000_000 if isinstance(time_us, int) else None
        edited_at = datetime.fromtimestamp(seconds, UTC) if seconds else datetime.now(UTC)
    profile = f"https://bsky.app/profile/{handle or did}"
    return ImportedPost(
        network=Network.BLUESKY,
        uri=post_uri(event),
        url=f"{profile}/post/{rkey}",
        text=str(record.get("text") or ""),
        author_name=name,
        author_handle=handle or did,
        author_url=profile,
        author_id=did,
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        tags=frozenset(tags),
        media=_media(did, record),
        cursor=str(event.get("time_us") or ""),
        labels=self_labels(record),
        edited_at=edited_at,
    )


async def events(
    endpoint: str, *, cursor: int | None, read_timeout: float = READ_TIMEOUT
) -> AsyncIterator[dict[str, Any]]:
    """Jetstream's events from ``cursor`` on, as dicts; ``{"kind": "open"}`` first, once
    connected. Raises ``Unavailable`` when the connection fails or goes silent."""
    url = subscribe_url(endpoint, cursor)
    try:
        async with connect(
            url, open_timeout=15, max_size=MAX_EVENT_BYTES, ping_interval=20, proxy=None
        ) as ws:
            yield {"kind": "open"}
            while True:
                try:
                    message = await asyncio.wait_for(ws.recv(), read_timeout)
                except TimeoutError as exc:
                    raise Unavailable(f"Jetstream silent for {read_timeout:g} s") from exc
                try:
                    event = json.loads(message)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event
    except InvalidStatus as exc:
        response = exc.response
        status = response.status_code
        if status == 401:
            raise Unauthorized(f"Jetstream: {status}") from exc
        if status == 429:
            headers = {k: v for k, v in response.headers.raw_items()}
            raise RateLimited(f"Jetstream: {status}", until=rate_limit_reset(headers)) from exc
        if 400 <= status < 500:
            raise Refused(f"Jetstream: {status}") from exc
        raise Unavailable(f"Jetstream: {status}") from exc
    except (WebSocketException, OSError) as exc:
        raise Unavailable(f"Jetstream: {type(exc).__name__}: {exc}") from exc
