"""A stand-in for a Mastodon instance, Jetstream and a Bluesky PDS, on 127.0.0.1.

It speaks the protocols as the real servers do, so the bridge (and unmodified
clients such as Mastodon.py) can be tested without the network:

Mastodon
    ``GET /api/v1/instance`` and ``/api/v2/instance`` (discovery, with
    ``urls.streaming_api``); ``GET /api/v1/accounts/verify_credentials``;
    ``GET /api/v1/streaming/hashtag?tag=`` (Server-Sent Events: ``:)`` on
    connect, ``:thump`` heartbeats, ``event: update|delete|status.update``; a user
    token is required, 401 without or with a bad one); ``GET
    /api/v1/timelines/tag/:tag`` with ``max_id`` / ``since_id`` / ``min_id`` /
    ``limit`` and ``Link`` headers; ``POST /api/v1/statuses`` honouring
    ``Idempotency-Key``. Every authenticated answer has ``X-RateLimit-Limit``,
    ``-Remaining`` and ``-Reset`` (ISO 8601); past the limit, 429. As Mastodon
    does, an edited status goes to its tags' streams as ``status.update`` (the
    status, with ``edited_at``), a deleted one as ``delete`` (its id, a bare
    string).
Jetstream v1
    ``/subscribe?wantedCollections=...&cursor=<time_us>``: replays stored events
    from the cursor *inclusive* (the boundary event comes again), then live ones.
    A post updated or deleted makes a commit with ``operation`` ``update`` (with
    the new record) or ``delete`` (no record, no cid).
Bluesky PDS
    ``com.atproto.server.createSession`` / ``refreshSession``,
    ``com.atproto.repo.createRecord`` (checks facets' UTF-8 byte ranges; answers
    ``ExpiredToken`` once tokens are expired), ``app.bsky.actor.getProfile``. A
    created post is echoed on Jetstream, as the network does.

The control plane (``/control/...``, JSON) injects posts and faults: see
``Control`` below and ``tests/standin/client.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from livechat.text import normalise_tag

HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
LINK = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»]")
TOKEN = "standin-token"  # read and write
READ_TOKEN = "standin-read-token"  # read only
BSKY_HANDLE = "plenary.standin.test"
BSKY_PASSWORD = "app-pass-word-0000"
RATE_LIMIT = 300
RATE_WINDOW = timedelta(minutes=5)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_html(text: str, host: str) -> str:
    """Text as Mastodon renders a status: paragraphs, hashtag links, shortened links."""
    out = []
    for paragraph in text.split("\n\n"):
        pieces, last = [], 0
        for match in re.finditer(f"{LINK.pattern}|{HASHTAG.pattern}", paragraph):
            pieces.append(html.escape(paragraph[last : match.start()]))
            if match.group(1):
                tag = match.group(1)
                pieces.append(
                    f'<a href="{host}/tags/{html.escape(tag.lower())}" class="mention hashtag" '
                    f'rel="tag">#<span>{html.escape(tag)}</span></a>'
                )
            else:
                url = match.group(0)
                scheme, rest = url.split("://", 1)
                shown, hidden = rest[:30], rest[30:]
                pieces.append(
                    f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener">'
                    f'<span class="invisible">{scheme}://</span>'
                    f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                    f'<span class="invisible">{html.escape(hidden)}</span></a>'
                )
            last = match.end()
        pieces.append(html.escape(paragraph[last:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(out)


def id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


@dataclass
class Fault:
    """One injected fault. ``stream``: ``mastodon`` or ``jetstream``; ``kind``:
    ``drop_after`` (close the next connection after ``events`` events), ``silent``
    (send nothing, heartbeats included, for ``seconds``), ``http`` (answer
    requests under ``path`` with ``status`` for ``times`` requests or ``seconds``;
    ``html`` sends a proxy's HTML page)."""

    kind: str
    stream: str = ""
    events: int = 0
    seconds: float = 0.0
    status: int = 503
    times: int = 0
    path: str = "/"
    html: bool = False
    until: float = 0.0


@dataclass
class State:
    host: str = "http://127.0.0.1"
    heartbeat: float = 15.0
    statuses: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(113_000_000_000_000_000)
    )
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    streams: dict[str, list[asyncio.Queue[tuple[str, str]]]] = field(default_factory=dict)
    rate: dict[str, list[float]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    jet_events: list[dict[str, Any]] = field(default_factory=list)
    jet_subscribers: list[asyncio.Queue[dict[str, Any]]] = field(default_factory=list)
    last_time_us: int = 0
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (did, kind)
    expired: set[str] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    profile_lookups: int = 0
    connections: dict[str, int] = field(default_factory=lambda: {"mastodon": 0, "jetstream": 0})
    total_connections: dict[str, int] = field(
        default_factory=lambda: {"mastodon": 0, "jetstream": 0}
    )
    requests: list[str] = field(default_factory=list)

    def account(self, username: str, display_name: str = "") -> dict[str, Any]:
        if username not in self.accounts:
            account_id = str(100 + len(self.accounts))
            self.accounts[username] = {
                "id": account_id,
                "username": username,
                "acct": username,
                "display_name": display_name or username.title(),
                "locked": False,
                "bot": False,
                "discoverable": True,
                "group": False,
                "created_at": "2024-01-01T00:00:00.000Z",
                "note": "",
                "url": f"{self.host}/@{username}",
                "uri": f"{self.host}/users/{username}",
                "avatar": f"{self.host}/avatars/original/missing.png",
                "avatar_static": f"{self.host}/avatars/original/missing.png",
                "header": f"{self.host}/headers/original/missing.png",
                "header_static": f"{self.host}/headers/original/missing.png",
                "followers_count": 0,
                "following_count": 0,
                "statuses_count": 0,
                "last_status_at": None,
                "emojis": [],
                "fields": [],
            }
        return self.accounts[username]

    # -- Mastodon ------------------------------------------------------------------

    def new_status(
        self,
        *,
        text: str = "",
        content: str | None = None,
        username: str = "claire",
        display_name: str = "",
        spoiler_text: str = "",
        media: list[dict[str, str]] | None = None,
        tags: list[str] | None = None,
        reblog: bool = False,
        filtered_hide: bool = False,
        broadcast: bool = True,
    ) -> dict[str, Any]:
        account = self.account(username, display_name)
        account["statuses_count"] += 1
        status_id = str(next(self.ids))
        names = list(dict.fromkeys([*(tags or []), *HASHTAG.findall(text)]))
        status: dict[str, Any] = {
            "id": status_id,
            "created_at": now_iso(),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": bool(spoiler_text),
            "spoiler_text": spoiler_text,
            "visibility": "public",
            "language": "fr",
            "uri": f"{self.host}/users/{account['username']}/statuses/{status_id}",
            "url": f"{self.host}/@{account['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": content if content is not None else render_html(text, self.host),
            "reblog": None,
            "application": None,
            "account": account,
            "media_attachments": [
                {
                    "id": str(next(self.ids)),
                    "type": "image",
                    "url": m["url"],
                    "preview_url": m["url"],
                    "remote_url": None,
                    "text_url": None,
                    "meta": {},
                    "description": m.get("description"),
                    "blurhash": None,
                }
                for m in media or ()
            ],
            "mentions": [],
            "tags": [
                {"name": normalise_tag(n), "url": f"{self.host}/tags/{normalise_tag(n)}"}
                for n in names
            ],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if filtered_hide:
            status["filtered"] = [
                {
                    "filter": {
                        "id": "1",
                        "title": "Hidden words",
                        "context": ["public"],
                        "expires_at": None,
                        "filter_action": "hide",
                    },
                    "keyword_matches": ["hidden"],
                    "status_matches": None,
                }
            ]
        if reblog:
            booster = self.account("booster", "Booster")
            original = status
            status = {
                **original,
                "id": str(next(self.ids)),
                "uri": f"{self.host}/users/booster/statuses/{status_id}/activity",
                "url": None,
                "content": "",
                "account": booster,
                "reblog": original,
                "tags": [],
            }
        self.statuses.append(status)
        if broadcast:
            self.broadcast("update", status)
        return status

    def edit_status(
        self,
        status_id: str,
        *,
        text: str,
        spoiler_text: str = "",
        media: list[dict[str, str]] | None = None,
    ) -> dict[str, Any] | None:
        """What ``PUT /api/v1/statuses/:id`` does: new content, tags and media, the
        ``edited_at`` time, and ``status.update`` on the (new) tags' streams."""
        status = next((s for s in self.statuses if s["id"] == status_id), None)
        if status is None:
            return None
        names = list(dict.fromkeys(HASHTAG.findall(text)))
        status.update(
            content=render_html(text, self.host),
            spoiler_text=spoiler_text,
            sensitive=bool(spoiler_text),
            edited_at=now_iso(),
            tags=[
                {"name": normalise_tag(n), "url": f"{self.host}/tags/{normalise_tag(n)}"}
                for n in names
            ],
            media_attachments=[
                {
                    "id": str(next(self.ids)),
                    "type": "image",
                    "url": m["url"],
                    "preview_url": m["url"],
                    "remote_url": None,
                    "text_url": None,
                    "meta": {},
                    "description": m.get("description"),
                    "blurhash": None,
                }
                for m in media or ()
            ],
        )
        self.broadcast("status.update", status)
        return status

    def broadcast(self, event: str, status: dict[str, Any]) -> None:
        tags = {t["name"] for t in (status.get("reblog") or status)["tags"]}
        data = json.dumps(status)
        for tag in tags:
            for queue in self.streams.get(tag, ()):
                queue.put_nowait((event, data))

    def fault(self, stream: str, kind: str) -> Fault | None:
        for fault in self.faults:
            if fault.stream == stream and fault.kind == kind:
                self.faults.remove(fault)
                return fault
        return None

    def http_fault(self, path: str) -> Response | None:
        now = time.monotonic()
        for fault in list(self.faults):
            if fault.kind != "http" or not path.startswith(fault.path):
                continue
            if fault.seconds and not fault.until:
                fault.until = now + fault.seconds
            if fault.until and now > fault.until:
                self.faults.remove(fault)
                continue
            if fault.times:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
            headers = {}
            if fault.status == 429:
                reset = datetime.now(UTC) + timedelta(seconds=fault.seconds or 1)
                headers = {
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace(
                        "+00:00", "Z"
                    ),
                }
            if fault.html:
                body = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
                return Response(body, fault.status, headers, media_type="text/html")
            errors = {401: "The access token is invalid", 429: "Too many requests"}
            body = {"error": errors.get(fault.status, "Internal server error")}
            return JSONResponse(body, fault.status, headers)
        return None

    # -- Jetstream -----------------------------------------------------------------

    def time_us(self) -> int:
        self.last_time_us = max(self.last_time_us + 1, int(time.time() * 1_000_000))
        return self.last_time_us

    def jet_event(
        self,
        did: str,
        record: dict[str, Any] | None,
        rkey: str | None = None,
        *,
        operation: str = "create",
        collection: str = "app.bsky.feed.post",
    ) -> dict[str, Any]:
        """A commit on Jetstream; a ``delete`` carries neither record nor cid."""
        rkey = rkey or tid()
        commit: dict[str, Any] = {
            "rev": tid(),
            "operation": operation,
            "collection": (record or {}).get("$type", collection),
            "rkey": rkey,
        }
        if record is not None:
            commit["record"] = record
            commit["cid"] = "bafyrei" + secrets.token_hex(20)
        event = {"did": did, "time_us": self.time_us(), "kind": "commit", "commit": commit}
        self.jet_events.append(event)
        for queue in self.jet_subscribers:
            queue.put_nowait(event)
        return event


_TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
_tid_last = 0


def tid() -> str:
    """A timestamp identifier (atproto TID): 13 base32-sortable characters."""
    global _tid_last
    _tid_last = max(_tid_last + 1, int(time.time() * 1_000_000))
    value = (_tid_last << 10) | secrets.randbelow(1024)
    out = ""
    for _ in range(13):
        out = _TID_CHARS[value & 31] + out
        value >>= 5
    return out


def byte_facets(text: str) -> list[dict[str, Any]]:
    """Tag facets as the Bluesky app makes them, at UTF-8 byte offsets."""
    facets = []
    for match in HASHTAG.finditer(text):
        start = len(text[: match.start()].encode())
        end = len(text[: match.end()].encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}],
            }
        )
    return facets


def create_app(*, heartbeat: float = 15.0) -> Starlette:
    state = State(heartbeat=heartbeat)

    def base(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def token_of(request: Request) -> str:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.query_params.get("access_token", "")

    def rate_headers(token: str, *, count: bool = True) -> tuple[dict[str, str], bool]:
        now = time.time()
        window = RATE_WINDOW.total_seconds()
        hits = [t for t in state.rate.get(token, []) if now - t < window]
        if count:
            hits.append(now)
        if not hits:
            hits.append(now)
        state.rate[token] = hits
        reset = datetime.fromtimestamp(hits[0] + window, UTC)
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - len(hits))),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }, len(hits) > RATE_LIMIT

    def mastodon_auth(request: Request, *, write: bool = False) -> tuple[str, Response | None]:
        state.host = base(request)
        state.requests.append(request.url.path)
        fault = state.http_fault(request.url.path)
        if fault is not None:
            return "", fault
        token = token_of(request)
        if token not in {TOKEN, READ_TOKEN}:
            return "", JSONResponse({"error": "The access token is invalid"}, 401)
        headers, over = rate_headers(token)
        if over:
            return token, JSONResponse({"error": "Too many requests"}, 429, headers)
        if write and token != TOKEN:
            return token, JSONResponse(
                {"error": "This action is outside the authorized scopes"}, 403, headers
            )
        return token, None

    def with_rate(response: Response, token: str) -> Response:
        headers, _ = rate_headers(token, count=False)
        response.headers.update(headers)
        return response

    # -- Mastodon ------------------------------------------------------------------

    async def instance_v1(request: Request) -> Response:
        state.host = base(request)
        host = request.url.netloc
        return JSONResponse(
            {
                "uri": host,
                "title": "Stand-in",
                "short_description": "A Mastodon stand-in for tests",
                "description": "",
                "email": "admin@standin.test",
                "version": "4.3.0",
                "urls": {"streaming_api": f"ws://{host}"},
                "stats": {"user_count": 1, "status_count": len(state.statuses), "domain_count": 1},
                "thumbnail": None,
                "languages": ["fr", "en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    "statuses": {"max_characters": 500, "max_media_attachments": 4},
                },
                "contact_account": None,
                "rules": [],
            }
        )

    async def instance_v2(request: Request) -> Response:
        state.host = base(request)
        host = request.url.netloc
        return JSONResponse(
            {
                "domain": host,
                "title": "Stand-in",
                "version": "4.3.0",
                "api_versions": {"mastodon": 2},
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A Mastodon stand-in for tests",
                "usage": {"users": {"active_month": 1}},
                "thumbnail": {"url": f"{base(request)}/thumb.png"},
                "languages": ["fr", "en"],
                "configuration": {
                    "urls": {"streaming": f"ws://{host}", "status": None},
                    "accounts": {"max_featured_tags": 10},
                    "statuses": {"max_characters": 500, "max_media_attachments": 4},
                    "timelines_access": {
                        "live_feeds": {"local": "authenticated", "remote": "authenticated"},
                        "hashtag_feeds": {"local": "authenticated", "remote": "authenticated"},
                        "trending_link_feeds": {"local": "public", "remote": "public"},
                    },
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": "admin@standin.test", "account": None},
                "rules": [],
            }
        )

    async def verify_credentials(request: Request) -> Response:
        token, refused = mastodon_auth(request)
        if refused is not None:
            return refused
        return with_rate(JSONResponse(state.account("plenary", "Plenary")), token)

    async def tag_timeline(request: Request) -> Response:
        token, refused = mastodon_auth(request)
        if refused is not None:
            return refused
        tag = normalise_tag(request.path_params["tag"])
        q = request.query_params
        try:
            limit = max(1, min(40, int(q.get("limit", "20"))))
        except ValueError:
            limit = 20
        found = [
            s
            for s in state.statuses
            if s.get("reblog") is None and tag in {t["name"] for t in s["tags"]}
        ]
        found.sort(key=lambda s: id_key(s["id"]))  # oldest first
        if q.get("max_id"):
            found = [s for s in found if id_key(s["id"]) < id_key(q["max_id"])]
        if q.get("since_id"):
            found = [s for s in found if id_key(s["id"]) > id_key(q["since_id"])]
        if q.get("min_id"):
            # min_id: the page just after min_id (the oldest ones), not the newest.
            found = [s for s in found if id_key(s["id"]) > id_key(q["min_id"])][:limit]
        else:
            found = found[-limit:]
        page = found[::-1]  # newest first, as Mastodon answers
        response = JSONResponse(page)
        if page:
            url = f"{base(request)}{request.url.path}"
            response.headers["Link"] = (
                f'<{url}?{urlencode({"limit": limit, "max_id": page[-1]["id"]})}>; rel="next", '
                f'<{url}?{urlencode({"limit": limit, "min_id": page[0]["id"]})}>; rel="prev"'
            )
        return with_rate(response, token)

    async def post_status(request: Request) -> Response:
        token, refused = mastodon_auth(request, write=True)
        if refused is not None:
            return refused
        if request.headers.get("content-type", "").startswith("application/json"):
            form: dict[str, Any] = await request.json()
        else:  # application/x-www-form-urlencoded, what Mastodon clients send
            form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        key = request.headers.get("idempotency-key", "")
        if key and (token, key) in state.idempotency:
            return with_rate(JSONResponse(state.idempotency[(token, key)]), token)
        text = str(form.get("status") or "")
        if not text.strip():
            return with_rate(
                JSONResponse({"error": "Validation failed: Text can't be blank"}, 422), token
            )
        if len(text) > 500:
            return with_rate(
                JSONResponse({"error": "Validation failed: Text character limit of 500"}, 422),
                token,
            )
        status = state.new_status(
            text=text,
            username="plenary",
            display_name="Plenary",
            spoiler_text=str(form.get("spoiler_text") or ""),
        )
        if key:
            state.idempotency[(token, key)] = status
        return with_rate(JSONResponse(status), token)

    async def stream_hashtag(request: Request) -> Response:
        _, refused = mastodon_auth(request)
        if refused is not None:
            return refused
        tag = normalise_tag(request.query_params.get("tag", ""))
        if not tag:
            return JSONResponse({"error": "Missing tag name parameter"}, 400)
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        drop = state.fault("mastodon", "drop_after")
        silent = state.fault("mastodon", "silent")

        async def events() -> Any:
            state.streams.setdefault(tag, []).append(queue)
            state.connections["mastodon"] += 1
            state.total_connections["mastodon"] += 1
            sent = 0
            try:
                yield b":)\n"
                if silent is not None:
                    await asyncio.sleep(silent.seconds)
                while True:
                    try:
                        kind, data = await asyncio.wait_for(queue.get(), state.heartbeat)
                    except TimeoutError:
                        yield b":thump\n"
                        continue
                    yield f"event: {kind}\ndata: {data}\n\n".encode()
                    sent += 1
                    if drop is not None and sent >= drop.events:
                        return
            finally:
                state.streams[tag].remove(queue)
                state.connections["mastodon"] -= 1

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def streaming_health(request: Request) -> Response:
        return Response("OK", media_type="text/plain")

    # -- Jetstream -----------------------------------------------------------------

    async def subscribe(websocket: WebSocket) -> None:
        wanted = set(websocket.query_params.getlist("wantedCollections"))
        cursor_text = websocket.query_params.get("cursor", "")
        cursor = int(cursor_text) if cursor_text.isdigit() else None
        await websocket.accept()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        state.jet_subscribers.append(queue)
        state.connections["jetstream"] += 1
        state.total_connections["jetstream"] += 1
        drop = state.fault("jetstream", "drop_after")
        silent = state.fault("jetstream", "silent")
        sent = 0

        def keep(event: dict[str, Any]) -> bool:
            if event["kind"] != "commit" or not wanted:
                return True
            return event["commit"]["collection"] in wanted

        try:
            if cursor is not None:  # replay from the cursor, inclusive
                for event in [e for e in state.jet_events if e["time_us"] >= cursor]:
                    if keep(event):
                        await websocket.send_text(json.dumps(event))
                        sent += 1
                        if drop is not None and sent >= drop.events:
                            return
                        queue_drain(queue, event["time_us"])
            if silent is not None:
                await asyncio.sleep(silent.seconds)
            while True:
                event = await queue.get()
                if cursor is not None and event["time_us"] < cursor:
                    continue
                if keep(event):
                    await websocket.send_text(json.dumps(event))
                    sent += 1
                    if drop is not None and sent >= drop.events:
                        return
        except WebSocketDisconnect:
            pass
        finally:
            state.jet_subscribers.remove(queue)
            state.connections["jetstream"] -= 1
            with contextlib.suppress(RuntimeError):
                await websocket.close()

    def queue_drain(queue: asyncio.Queue[dict[str, Any]], upto: int) -> None:
        """Events replayed from the log that also reached the live queue: send once."""
        kept = []
        while not queue.empty():
            event = queue.get_nowait()
            if event["time_us"] > upto:
                kept.append(event)
        for event in kept:
            queue.put_nowait(event)

    # -- Bluesky PDS ---------------------------------------------------------------

    def xrpc_error(status: int, error: str, message: str) -> Response:
        return JSONResponse({"error": error, "message": message}, status)

    def new_session(did: str) -> dict[str, Any]:
        access, refresh = "acc-" + secrets.token_hex(8), "ref-" + secrets.token_hex(8)
        state.sessions[access] = (did, "access")
        state.sessions[refresh] = (did, "refresh")
        return {
            "did": did,
            "handle": BSKY_HANDLE,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    async def create_session(request: Request) -> Response:
        fault = state.http_fault(request.url.path)
        if fault is not None:
            return fault
        body = await request.json()
        if (
            body.get("identifier") not in {BSKY_HANDLE, "did:plc:plenary"}
            or body.get("password") != BSKY_PASSWORD
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return JSONResponse(new_session("did:plc:plenary"))

    def bearer(request: Request, kind: str) -> tuple[str, Response | None]:
        token = token_of(request)
        if token in state.expired:
            return "", xrpc_error(400, "ExpiredToken", "Token has expired")
        found = state.sessions.get(token)
        if found is None or found[1] != kind:
            return "", xrpc_error(401, "InvalidToken", "Token could not be verified")
        return found[0], None

    async def refresh_session(request: Request) -> Response:
        did, refused = bearer(request, "refresh")
        if refused is not None:
            return refused
        state.sessions.pop(token_of(request), None)  # refresh tokens are single-use
        return JSONResponse(new_session(did))

    async def create_record(request: Request) -> Response:
        fault = state.http_fault(request.url.path)
        if fault is not None:
            return fault
        did, refused = bearer(request, "access")
        if refused is not None:
            return refused
        body = await request.json()
        record = body.get("record") or {}
        if body.get("repo") != did:
            return xrpc_error(400, "InvalidRequest", "Invalid repo")
        text = str(record.get("text") or "")
        raw = text.encode()
        for facet in record.get("facets") or ():
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            try:
                piece = raw[start:end].decode()
            except UnicodeDecodeError:
                return xrpc_error(400, "InvalidRequest", "facet splits a character")
            for feature in facet["features"]:
                if feature["$type"].endswith("#tag") and piece != "#" + feature["tag"]:
                    return xrpc_error(400, "InvalidRequest", f"tag facet covers {piece!r}")
        rkey = tid()
        uri = f"at://{did}/{body.get('collection')}/{rkey}"
        state.records.append({"uri": uri, "record": record})
        state.jet_event(did, record, rkey)  # the network shows our post to everyone
        return JSONResponse(
            {
                "uri": uri,
                "cid": "bafyrei" + secrets.token_hex(20),
                "commit": {"cid": "bafyrei" + secrets.token_hex(20), "rev": tid()},
                "validationStatus": "valid",
            }
        )

    async def get_profile(request: Request) -> Response:
        state.profile_lookups += 1
        actor = request.query_params.get("actor", "")
        profile = state.profiles.get(actor)
        if profile is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return JSONResponse({"did": actor, **profile})

    # -- control plane -------------------------------------------------------------

    async def control_status(request: Request) -> Response:
        body = await request.json()
        status = state.new_status(**body)
        return JSONResponse(status)

    async def control_delete(request: Request) -> Response:
        body = await request.json()
        for s in state.statuses:
            if s["id"] == body["id"]:
                state.statuses.remove(s)
                for tag in {t["name"] for t in s["tags"]}:
                    for queue in state.streams.get(tag, ()):
                        queue.put_nowait(("delete", s["id"]))
                break
        return JSONResponse({})

    async def control_edit(request: Request) -> Response:
        body = await request.json()
        status = state.edit_status(
            str(body["id"]),
            text=str(body.get("text") or ""),
            spoiler_text=str(body.get("spoiler_text") or ""),
            media=body.get("media"),
        )
        if status is None:
            return JSONResponse({"error": "Record not found"}, 404)
        return JSONResponse(status)

    def bluesky_record(body: dict[str, Any]) -> dict[str, Any]:
        """A post record as the Bluesky app writes it, from the control plane's body."""
        text = body.get("text", "")
        record: dict[str, Any] = {
            "$type": body.get("collection", "app.bsky.feed.post"),
            "text": text,
            "createdAt": now_iso(),
            "langs": ["fr"],
        }
        if body.get("facets", True):
            facets = byte_facets(text)
            if facets:
                record["facets"] = facets
        if body.get("tags"):
            record["tags"] = body["tags"]
        if body.get("images"):
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": image.get("alt", ""),
                        "image": {
                            "$type": "blob",
                            "ref": {"$link": "bafkrei" + secrets.token_hex(20)},
                            "mimeType": "image/jpeg",
                            "size": 1000,
                        },
                    }
                    for image in body["images"]
                ],
            }
        if body.get("labels"):
            record["labels"] = {
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{"val": value} for value in body["labels"]],
            }
        return record

    async def control_bluesky(request: Request) -> Response:
        body = await request.json()
        did = body.get("did", "did:plc:" + secrets.token_hex(12))
        state.profiles.setdefault(
            did,
            {
                "handle": body.get("handle", "someone.bsky.social"),
                "displayName": body.get("display_name", ""),
            },
        )
        return JSONResponse(state.jet_event(did, bluesky_record(body)))

    async def control_bluesky_change(request: Request) -> Response:
        """Update (``putRecord``) or delete (``deleteRecord``) the post ``uri``."""
        body = await request.json()
        match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/]+)", str(body.get("uri") or ""))
        if match is None:
            return JSONResponse({"error": "InvalidRequest", "message": "bad uri"}, 400)
        did, collection, rkey = match.groups()
        if request.url.path.endswith("/delete"):
            event = state.jet_event(did, None, rkey, operation="delete", collection=collection)
        else:
            event = state.jet_event(did, bluesky_record(body), rkey, operation="update")
        return JSONResponse(event)

    async def control_fault(request: Request) -> Response:
        body = await request.json()
        state.faults.append(Fault(**body))
        return JSONResponse({"faults": len(state.faults)})

    async def control_expire(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        kinds = set(body.get("kinds", ["access"]))
        state.expired |= {t for t, (_, kind) in state.sessions.items() if kind in kinds}
        return JSONResponse({"expired": len(state.expired)})

    async def control_state(request: Request) -> Response:
        return JSONResponse(
            {
                "statuses": state.statuses,
                "records": state.records,
                "connections": state.connections,
                "total_connections": state.total_connections,
                "profile_lookups": state.profile_lookups,
                "jet_events": len(state.jet_events),
                "faults": len(state.faults),
                "requests": state.requests[-200:],
            }
        )

    async def control_heartbeat(request: Request) -> Response:
        state.heartbeat = float((await request.json())["seconds"])
        return JSONResponse({})

    async def home(request: Request) -> Response:
        return Response("Plenary's Mastodon, Jetstream and Bluesky stand-in\n")

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/api/v1/instance", instance_v1),
            Route("/api/v2/instance", instance_v2),
            Route("/api/v1/accounts/verify_credentials", verify_credentials),
            Route("/api/v1/timelines/tag/{tag}", tag_timeline),
            Route("/api/v1/statuses", post_status, methods=["POST"]),
            Route("/api/v1/streaming/hashtag", stream_hashtag),
            Route("/api/v1/streaming/health", streaming_health),
            WebSocketRoute("/subscribe", subscribe),
            Route("/xrpc/com.atproto.server.createSession", create_session, methods=["POST"]),
            Route("/xrpc/com.atproto.server.refreshSession", refresh_session, methods=["POST"]),
            Route("/xrpc/com.atproto.repo.createRecord", create_record, methods=["POST"]),
            Route("/xrpc/app.bsky.actor.getProfile", get_profile),
            Route("/control/mastodon/statuses", control_status, methods=["POST"]),
            Route("/control/mastodon/delete", control_delete, methods=["POST"]),
            Route("/control/mastodon/edit", control_edit, methods=["POST"]),
            Route("/control/bluesky/posts", control_bluesky, methods=["POST"]),
            Route("/control/bluesky/update", control_bluesky_change, methods=["POST"]),
            Route("/control/bluesky/delete", control_bluesky_change, methods=["POST"]),
            Route("/control/faults", control_fault, methods=["POST"]),
            Route("/control/bluesky/expire", control_expire, methods=["POST"]),
            Route("/control/heartbeat", control_heartbeat, methods=["POST"]),
            Route("/control/state", control_state),
        ]
    )
    app.state.standin = state
    return app
