"""Running every configured bridge: one asyncio task per stream and per outbox.

For each enabled event (``livechat.services.bridge.bridge_configs``, read again
every ``RELOAD_SECONDS``), the runner follows each hashtag on Mastodon, follows
Jetstream for Bluesky, and sends queued copies out. A changed configuration
restarts that event's tasks. Edits and deletions of posts already imported are
applied as they come (``update_post``, ``remove_post``); Jetstream's, which cover
the whole network, are first checked against the URIs this event imported.

Every task loops over the same reactions to failure (``posts.py``):

- ``Unavailable`` (connection refused or cut, 5xx, an HTML error page, a stream
  silent past its read timeout): wait with exponential backoff and full jitter
  (``Backoff``), then reconnect; the backoff resets once a connection works;
- ``RateLimited``: wait until the time the server gave (``X-RateLimit-Reset``);
- ``Unauthorized``: stop that network's side of the bridge and tell the
  organisers (``bridge.status`` with ``stopped``); saving the settings again
  starts it.

Each state change reaches the organisers' console through ``report_state``.
The ORM runs in Django's sync thread (``sync_to_async``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async

from livechat.bridge import jetstream
from livechat.bridge.bluesky import BlueskyClient
from livechat.bridge.mastodon import MastodonClient, newer, to_post
from livechat.bridge.posts import BridgeError, RateLimited, Refused, Unauthorized, Unavailable
from livechat.models import Network
from livechat.services import bridge as services
from livechat.services.bridge import BridgeConfig

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 10.0
OUTBOUND_SECONDS = 1.0
#: Jetstream's cursor is saved at most this often (it moves with every event).
CURSOR_SAVE_SECONDS = 5.0
#: A reconnect to Jetstream replays from a little before the last event seen.
CURSOR_REWIND_US = 1_000_000


class Backoff:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^n)].

    >>> b = Backoff(base=1, cap=30, rng=random.Random(1))
    >>> [round(b.next(), 2) for _ in range(4)]
    [0.13, 1.69, 3.06, 2.04]
    """

    def __init__(
        self, *, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self.rng = rng or random.Random()

    def next(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures = min(self.failures + 1, 30)
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0


@sync_to_async
def _configs() -> list[BridgeConfig]:
    return services.bridge_configs()


_import = sync_to_async(services.import_post)
_update = sync_to_async(services.update_post)
_remove = sync_to_async(services.remove_post)
_imported_uris = sync_to_async(services.imported_uris)
_report = sync_to_async(services.report_state)
_resume_point = sync_to_async(services.resume_point)
_save_resume_point = sync_to_async(services.save_resume_point)
_pending = sync_to_async(services.pending_outbound)
_sent = sync_to_async(services.mark_sent)
_failed = sync_to_async(services.mark_failed)


class EventBridge:
    """The tasks of one event's bridge."""

    def __init__(self, config: BridgeConfig, timing: Timing) -> None:
        self.config = config
        self.timing = timing
        self.tasks: list[asyncio.Task[None]] = []
        self.mastodon: MastodonClient | None = None
        self.bluesky: BlueskyClient | None = None
        self.mastodon_id = ""  # our account: its posts may be our copies coming back
        self.mastodon_since = ""

    def start(self) -> None:
        config = self.config
        name = f"bridge-{config.event_id}"
        if config.reads_mastodon:
            self.mastodon = MastodonClient(
                config.mastodon_instance,
                config.mastodon_token,
                read_timeout=self.timing.read_timeout,
            )
            for tag in config.hashtags:
                self._spawn(f"{name}-mastodon-{tag}", Network.MASTODON, self._follow_mastodon, tag)
            self._spawn(f"{name}-mastodon-out", Network.MASTODON, self._send, Network.MASTODON)
        if config.reads_bluesky:
            self.bluesky = BlueskyClient(
                config.bluesky_pds,
                handle=config.bluesky_handle if config.writes_bluesky else "",
                app_password=config.bluesky_app_password,
                appview=self.timing.bluesky_appview,
            )
            self._spawn(f"{name}-jetstream", Network.BLUESKY, self._follow_jetstream)
            if config.writes_bluesky:
                self._spawn(f"{name}-bluesky-out", Network.BLUESKY, self._send, Network.BLUESKY)

    def _spawn(
        self, name: str, network: str, work: Callable[..., Awaitable[None]], *args: Any
    ) -> None:
        task = asyncio.create_task(self._guard(network, work, *args), name=name)
        self.tasks.append(task)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for client in (self.mastodon, self.bluesky):
            if client is not None:
                await client.aclose()
        for network in {Network.MASTODON, Network.BLUESKY}:
            with contextlib.suppress(Exception):
                await _report(self.config.event_id, network, connected=False)

    async def _guard(self, network: str, work: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run ``work`` for ever, reacting to its failures (see the module's docstring)."""
        event_id = self.config.event_id
        backoff = Backoff(base=self.timing.backoff_base, cap=self.timing.backoff_cap)
        while True:
            try:
                await work(*args, backoff)
                wait = backoff.next()
            except Unauthorized as exc:
                logger.warning("bridge %s %s: credentials refused: %s", event_id, network, exc)
                await _report(event_id, network, connected=False, error=exc.message, stopped=True)
                return
            except RateLimited as exc:
                wait = max(0.0, (exc.until - datetime.now(UTC)).total_seconds())
                logger.info("bridge %s %s: rate limited for %.0f s", event_id, network, wait)
                await _report(event_id, network, connected=False, error=exc.message)
            except (Unavailable, Refused) as exc:
                wait = backoff.next()
                logger.info("bridge %s %s: %s; again in %.1f s", event_id, network, exc, wait)
                await _report(event_id, network, connected=False, error=exc.message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not end the bridge: log, back off, retry
                logger.exception("bridge %s %s failed", event_id, network)
                wait = backoff.next()
                await _report(event_id, network, connected=False, error=f"{type(exc).__name__}")
            await asyncio.sleep(wait)

    # -- Mastodon in -----------------------------------------------------------------

    async def _follow_mastodon(self, tag: str, backoff: Backoff) -> None:
        assert self.mastodon is not None
        event_id = self.config.event_id
        if not self.mastodon_id:
            self.mastodon_id = str((await self.mastodon.verify_credentials()).get("id") or "")
        if not self.mastodon_since:
            self.mastodon_since = await _resume_point(event_id, Network.MASTODON)
        if not self.mastodon_since:
            # First run: start from now rather than import the tag's whole past.
            self.mastodon_since = await self.mastodon.latest_id(tag) or "0"

        async def connected() -> None:
            backoff.reset()
            await _report(event_id, Network.MASTODON, connected=True)

        async def status(payload: dict[str, Any]) -> None:
            post = to_post(payload, self.config.wanted)
            if post is not None:
                await _import(event_id, post, own_id=self.mastodon_id)
            status_id = str(payload.get("id") or "")
            if status_id and newer(status_id, self.mastodon_since) == status_id:
                self.mastodon_since = status_id
                await _save_resume_point(event_id, Network.MASTODON, status_id)

        async def edited(payload: dict[str, Any]) -> None:
            post = to_post(payload, self.config.wanted)
            if post is not None:
                await _update(event_id, post, own_id=self.mastodon_id)

        async def deleted(status_id: str) -> None:
            await _remove(event_id, Network.MASTODON, status_id=status_id)

        await self.mastodon.follow(
            tag,
            since=self.mastodon_since,
            on_status=status,
            on_connected=connected,
            on_edit=edited,
            on_delete=deleted,
        )

    # -- Bluesky in ------------------------------------------------------------------

    async def _follow_jetstream(self, backoff: Backoff) -> None:
        assert self.bluesky is not None
        event_id = self.config.event_id
        saved = await _resume_point(event_id, Network.BLUESKY)
        cursor = int(saved) - CURSOR_REWIND_US if saved.isdigit() else None
        wanted = set(self.config.wanted)
        own_did = ""
        if self.config.writes_bluesky:
            if not self.bluesky.did:
                await self.bluesky.login()
            own_did = self.bluesky.did
        last_saved = asyncio.get_running_loop().time()
        latest = saved
        known = await _imported_uris(event_id, Network.BLUESKY)
        try:
            async for event in jetstream.events(
                self.config.jetstream_url, cursor=cursor, read_timeout=self.timing.read_timeout
            ):
                if event.get("kind") == "open":
                    backoff.reset()
                    await _report(event_id, Network.BLUESKY, connected=True)
                    continue
                if event.get("kind") == "identity":
                    identity = event.get("identity") or {}
                    if identity.get("handle"):
                        self.bluesky.remember(str(event.get("did")), str(identity["handle"]))
                tags = jetstream.matching_tags(event, wanted)
                operation = jetstream.operation(event)
                uri = jetstream.post_uri(event) if operation else ""
                if operation == "delete" and uri in known:
                    await _remove(event_id, Network.BLUESKY, uri=uri)
                    known.discard(uri)
                elif tags or (operation == "update" and uri in known):
                    handle, name = await self.bluesky.profile(str(event["did"]))
                    post = jetstream.to_post(event, tags, handle, name)
                    if operation == "update":
                        await _update(event_id, post, own_id=own_did)
                    else:
                        await _import(event_id, post, own_id=own_did)
                    known.add(uri)
                time_us = str(event.get("time_us") or "")
                if time_us:
                    latest = time_us
                now = asyncio.get_running_loop().time()
                if latest != saved and (tags or now - last_saved > self.timing.cursor_save):
                    await _save_resume_point(event_id, Network.BLUESKY, latest)
                    saved, last_saved = latest, now
        finally:
            if latest != saved:
                with contextlib.suppress(Exception):
                    await _save_resume_point(event_id, Network.BLUESKY, latest)
        raise Unavailable("Jetstream closed the connection")

    # -- out -------------------------------------------------------------------------

    async def _send(self, network: str, backoff: Backoff) -> None:
        event_id = self.config.event_id
        while True:
            for copy in await _pending(event_id, network):
                try:
                    if network == Network.MASTODON:
                        assert self.mastodon is not None
                        status = await self.mastodon.post_status(
                            copy.text, idempotency_key=copy.idempotency_key
                        )
                        uri = str(status.get("uri") or "")
                    else:
                        assert self.bluesky is not None
                        uri = await self.bluesky.create_post(copy.text)
                except Refused as exc:
                    await _failed(copy.pk, error=exc.message, final=True)
                    continue
                except BridgeError as exc:
                    await _failed(copy.pk, error=exc.message, final=False)
                    raise
                await _sent(copy.pk, uri=uri)
                backoff.reset()
            await asyncio.sleep(self.timing.outbound_every)


class Timing:
    """The runner's clocks, shortened by the tests."""

    def __init__(
        self,
        *,
        reload_every: float = RELOAD_SECONDS,
        read_timeout: float = 60.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        outbound_every: float = OUTBOUND_SECONDS,
        cursor_save: float = CURSOR_SAVE_SECONDS,
        bluesky_appview: str = "",
    ) -> None:
        self.reload_every = reload_every
        self.read_timeout = read_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.outbound_every = outbound_every
        self.cursor_save = cursor_save
        self.bluesky_appview = bluesky_appview


class BridgeRunner:
    """Every configured bridge, kept in step with the settings."""

    def __init__(self, timing: Timing | None = None) -> None:
        self.timing = timing or Timing()
        self.bridges: dict[int, EventBridge] = {}
        # httpx logs every request at INFO: a stream reconnecting is news, its requests not.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    async def reload(self) -> None:
        configs = {config.event_id: config for config in await _configs()}
        for event_id in list(self.bridges):
            running = self.bridges[event_id]
            if configs.get(event_id) != running.config:
                logger.info("bridge %s: stopping", event_id)
                await running.stop()
                del self.bridges[event_id]
        for event_id, config in configs.items():
            if event_id not in self.bridges:
                logger.info("bridge %s: starting %r", event_id, config)
                self.bridges[event_id] = bridge = EventBridge(config, self.timing)
                bridge.start()

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.reload()
                except Exception:  # the database is away: keep what runs, try again
                    logger.exception("bridge: could not read the configuration")
                await asyncio.sleep(self.timing.reload_every)
        finally:
            await self.stop()

    async def stop(self) -> None:
        bridges, self.bridges = list(self.bridges.values()), {}
        for bridge in bridges:
            await bridge.stop()
