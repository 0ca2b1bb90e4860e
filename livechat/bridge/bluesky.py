"""A Bluesky (AT Protocol) client for the bridge: a session, posting, profiles.

``createSession`` with the handle and an app password gives an access token
(short-lived) and a refresh token. When a call answers ``ExpiredToken``, the
session is refreshed (``refreshSession``) and the call made again, once; a
refused refresh logs in again. Posts go out with ``createRecord`` and facets at
UTF-8 byte offsets (``livechat.bridge.tags.build_facets``), so hashtags and links
are live on Bluesky.

Profiles (handle, display name) are looked up once per DID and kept for an hour.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import httpx

from livechat.bridge import http
from livechat.bridge.posts import BridgeError, Refused, Unauthorized, Unavailable
from livechat.bridge.tags import build_facets

POST = "app.bsky.feed.post"
#: Bluesky's public AppView, for profiles when no account is configured.
PUBLIC_APPVIEW = "https://public.api.bsky.app"
PROFILE_TTL = 3600.0
PROFILE_CACHE = 5000
#: The longest post Bluesky accepts, in graphemes (characters here, a safe bound).
MAX_POST = 300


class BlueskyClient:
    def __init__(
        self,
        pds: str,
        *,
        handle: str = "",
        app_password: str = "",
        appview: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.pds = pds.rstrip("/")
        self.handle = handle
        self.app_password = app_password
        self.appview = (appview or (self.pds if handle else PUBLIC_APPVIEW)).rstrip("/")
        self._http = httpx.AsyncClient(
            headers={"User-Agent": http.USER_AGENT}, timeout=15.0, transport=transport
        )
        self.did = ""
        self._access = ""
        self._refresh = ""
        self._profiles: OrderedDict[str, tuple[float, tuple[str, str]]] = OrderedDict()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, nsid: str, *, base: str = "", token: str = "", **kwargs: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._http.request(
                method, f"{base or self.pds}/xrpc/{nsid}", headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 400 and _error(response) == "ExpiredToken":
            raise ExpiredToken(http.error_text(response))
        if response.status_code == 401 and _error(response) == "ExpiredToken":
            raise ExpiredToken(http.error_text(response))
        return http.check(response)

    async def login(self) -> None:
        body = await self._call(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": self.handle, "password": self.app_password},
        )
        self._take_session(body)

    def _take_session(self, body: dict[str, Any]) -> None:
        self.did = str(body["did"])
        self.handle = str(body.get("handle") or self.handle)
        self._access = str(body["accessJwt"])
        self._refresh = str(body["refreshJwt"])

    async def _refresh_session(self) -> None:
        try:
            body = await self._call(
                "POST", "com.atproto.server.refreshSession", token=self._refresh
            )
        except (ExpiredToken, Unauthorized, Refused):
            await self.login()  # the refresh token expired or was revoked too
            return
        self._take_session(body)

    async def _authed(self, method: str, nsid: str, **kwargs: Any) -> Any:
        if not self._access:
            await self.login()
        try:
            return await self._call(method, nsid, token=self._access, **kwargs)
        except ExpiredToken:
            await self._refresh_session()
            return await self._call(method, nsid, token=self._access, **kwargs)

    async def create_post(self, text: str, *, created_at: datetime | None = None) -> str:
        """Publish ``text`` with its hashtag and link facets; return the post's URI."""
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": (created_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
            "langs": ["fr"],
        }
        facets = build_facets(text)
        if facets:
            record["facets"] = facets
        if not self.did:
            await self.login()
        body = await self._authed(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": self.did, "collection": POST, "record": record},
        )
        return str(body["uri"])

    async def profile(self, did: str) -> tuple[str, str]:
        """``(handle, display name)`` of ``did``; the DID itself when the lookup fails."""
        now = time.monotonic()
        cached = self._profiles.get(did)
        if cached is not None and now - cached[0] < PROFILE_TTL:
            self._profiles.move_to_end(did)
            return cached[1]
        try:
            if self.handle and self.app_password:
                body = await self._authed("GET", "app.bsky.actor.getProfile", params={"actor": did})
            else:
                body = await self._call(
                    "GET", "app.bsky.actor.getProfile", base=self.appview, params={"actor": did}
                )
            found = (str(body.get("handle") or did), str(body.get("displayName") or ""))
        except BridgeError:
            return (did, "")  # not cached: the next post tries again
        self._profiles[did] = (now, found)
        while len(self._profiles) > PROFILE_CACHE:
            self._profiles.popitem(last=False)
        return found

    def remember(self, did: str, handle: str) -> None:
        """Jetstream's ``identity`` event says ``did`` is now ``handle``."""
        name = self._profiles.get(did, (0.0, ("", "")))[1][1]
        self._profiles[did] = (time.monotonic(), (handle, name))


class ExpiredToken(BridgeError):
    """The access token expired: refresh the session and try again."""


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""
