"""Connect N viewers to one session page's socket, then time agenda fan-out.

Run: ``.venv/bin/python bench/connect.py [--clients N] [--advances K] [--scaled]``
(defaults: N=2000, K=10). Progress goes to stderr; the last line of stdout is one
JSON object.

Setup: a fresh temporary ``PLENARY_VAR_DIR`` (SQLite database and secret key),
migrated, with an organisation, a body, an organiser (a ``Role`` on the body and
a logged-in Django session) and, per server, a new session of K+1 agenda items
starting now. Without ``--scaled`` the app runs on its embedded default
(``DATABASE_URL`` and ``REDIS_URL`` unset: SQLite, in-process room bus); with it,
both are kept as they are in the environment.

For each of uvicorn (uvloop) and daphne, side by side in one run, one process of
the server serves ``plenary.asgi:application`` on a free loopback port, and this
process (one uvloop event loop, websockets' default permessage-deflate offer, as
browsers make) measures the numbers below. Whether the server accepted compression
is logged with the CPU seconds each side spent connecting and in each round: a
server that declines it sends bigger frames but compresses nothing per socket.

``connect_s``
    Seconds from the first connection attempt until every viewer has its
    ``session.state`` snapshot, with at most 200 handshakes in flight. Viewers are
    anonymous, as most of a public session's audience is.
``rss_per_socket_kib``
    Growth of the server process's resident memory across that connection phase,
    divided by N: what one idle open socket costs the server.
``p50_ms`` / ``p99_ms``
    An organiser socket starts the session (a warm-up fan-out, not counted), then
    sends ``agenda.advance`` K times, 0.5 s apart. A delivery's latency runs from
    just before the organiser's frame is sent to the moment a viewer's read loop
    gets the matching ``agenda.current`` frame (same item). It includes the
    server's database transaction, its fan-out to N sockets, the loopback, and
    this process's own work in reading N frames: all clients share one event
    loop on the same machine as the server, so the tail partly measures the
    client. Compare servers with each other, not with absolute targets.
``lost``
    Deliveries expected (connected viewers x K) minus those received within 30 s
    of their advance: frames dropped, sockets closed by the server (e.g. as too
    slow), or late beyond the timeout. It should be 0.
``throughput_per_s``
    Deliveries divided by the summed per-round times, each round lasting until
    its last viewer got the frame: the server's sustained fan-out rate.

A server that fails (does not start, refuses sockets, loses the organiser...)
gets an ``error`` key next to what was measured; when only some viewers
connected, the other numbers are over the connected ones. The temporary
directory (server logs included) is kept and named on stderr when a server
logged anything or failed, and removed otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvloop
from _common import (
    SERVERS,
    Server,
    close_db_connections,
    emit,
    log,
    migrate,
    percentile,
    prepare_environment,
    raise_open_files_limit,
    rounded,
    setup_django,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

#: Handshakes (up to the snapshot) in flight at once while connecting viewers.
IN_FLIGHT = 200
#: Seconds one socket may take to open and receive its snapshot.
CONNECT_TIMEOUT = 30.0
#: Seconds an advance may take to reach every viewer before the rest count as lost.
ROUND_TIMEOUT = 30.0
#: Pause between two advances.
ROUND_PAUSE = 0.5
#: Seconds allowed to close every socket cleanly before the rest are aborted.
CLOSE_TIMEOUT = 60.0
#: Seconds left to the server to finish its disconnect handlers before it is stopped.
SETTLE = 1.0


# -- fixtures (Django ORM, run outside any event loop) -------------------------------


def create_organiser() -> tuple[int, str]:
    """Create an organisation, a body and its organiser; return the body and a cookie."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from assemblies.models import Body, Organisation, Role

    tag = secrets.token_hex(4)
    organisation = Organisation.objects.create(name="Bench town", slug=f"bench-{tag}")
    body = Body.objects.create(
        organisation=organisation,
        name="Bench assembly",
        slug=f"bench-{tag}",
        kind=Body.Kind.NEIGHBOURHOOD_ASSEMBLY,
    )
    user = User(username=f"bench-{tag}", display_name="Bench organiser")
    user.set_unusable_password()
    user.save()
    Role.objects.create(user=user, kind=Role.Kind.ORGANISER, body=body)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return body.pk, f"{name}={client.cookies[name].value}"


def create_session(body_id: int, title: str, items: int) -> tuple[int, tuple[int, ...]]:
    """Create a scheduled session starting now with ``items`` agenda items."""
    from django.utils import timezone

    from assemblies.models import AgendaItem, Session

    now = timezone.now()
    session = Session.objects.create(
        body_id=body_id,
        title=title,
        kind=Session.Kind.PLENARY,
        starts_at=now,
        ends_at=now + timedelta(hours=3),
    )
    agenda = [
        AgendaItem.objects.create(session=session, position=n, title=f"Item {n}")
        for n in range(1, items + 1)
    ]
    return session.pk, tuple(item.pk for item in agenda)


# -- what is measured ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The session socket to connect to, and the session's agenda in order."""

    url: str
    origin: str
    cookie: str
    items: tuple[int, ...]


@dataclass
class Round:
    """The arrivals of one ``agenda.current`` frame (one item) at the viewers."""

    item: int
    expected: int
    t0: float = 0.0
    arrivals: dict[int, float] = field(default_factory=dict)
    duplicates: int = 0
    closed: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arrive(self, viewer: int, at: float) -> None:
        if self.closed:
            return
        if viewer in self.arrivals:
            self.duplicates += 1
            return
        self.arrivals[viewer] = at
        if len(self.arrivals) >= self.expected:
            self.done.set()

    def latencies(self) -> list[float]:
        return [at - self.t0 for at in self.arrivals.values()]

    def duration(self) -> float:
        """Seconds until the last viewer got the frame."""
        return max(self.latencies(), default=0.0)


@dataclass
class Audience:
    """What the viewers saw: rounds by agenda item, and sockets the server closed."""

    rounds: dict[int, Round]
    closing: bool = False
    dropped: list[str] = field(default_factory=list)


@dataclass
class Measurement:
    """One server's numbers, filled in as the run goes so a failure keeps them."""

    clients: int
    connected: int = 0
    connect_s: float | None = None
    rss_per_socket_kib: float | None = None
    latencies: list[float] = field(default_factory=list)
    expected: int = 0
    busy_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def add_round(self, round_: Round) -> None:
        self.latencies.extend(round_.latencies())
        self.busy_s += round_.duration()

    def summary(self) -> dict[str, Any]:
        delivered = len(self.latencies)
        result: dict[str, Any] = {
            "connect_s": rounded(self.connect_s),
            "p50_ms": rounded(_ms(percentile(self.latencies, 0.50))),
            "p99_ms": rounded(_ms(percentile(self.latencies, 0.99))),
            "lost": self.expected - delivered,
            "throughput_per_s": rounded(delivered / self.busy_s if self.busy_s else None),
            "rss_per_socket_kib": rounded(self.rss_per_socket_kib),
        }
        if self.errors:
            result["error"] = "; ".join(self.errors)
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


class CpuUse:
    """CPU seconds the server and this client process use within a ``with`` block.

    Both share the machine's cores: a client near one full core is a hint that the
    client, not the server, sets the pace.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.server_s = self.client_s = 0.0

    def __enter__(self) -> CpuUse:
        self.server_s = -self.server.cpu_seconds()
        self.client_s = -time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server_s += self.server.cpu_seconds()
        self.client_s += time.process_time()

    def __str__(self) -> str:
        return f"CPU server {self.server_s:.2f} s, client {self.client_s:.2f} s"


# -- sockets ---------------------------------------------------------------------------


async def open_socket(
    target: Target, gate: asyncio.Semaphore, *, cookie: str | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    """Open one session socket and return it with its ``session.state`` snapshot."""
    headers = {"Cookie": cookie} if cookie else None
    async with gate:
        ws = await connect(
            target.url,
            origin=Origin(target.origin),
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT,
            ping_interval=None,  # browsers do not ping; the server's pings are answered
            close_timeout=5,
            proxy=None,
        )
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                snapshot = json.loads(await ws.recv())
            if snapshot.get("type") != "session.state":
                raise RuntimeError(f"first frame is {snapshot.get('type')!r}, not session.state")
        except BaseException:
            ws.transport.abort()
            raise
        return ws, snapshot


async def open_viewers(
    target: Target, count: int
) -> tuple[list[ClientConnection], list[BaseException], float]:
    """Open ``count`` anonymous sockets; return them, the failures and the seconds taken."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(open_socket(target, gate) for _ in range(count)), return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    sockets = [o[0] for o in outcomes if isinstance(o, tuple)]
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    return sockets, failures, elapsed


async def follow(ws: ClientConnection, viewer: int, audience: Audience) -> None:
    """Read one viewer's frames until it closes, timestamping ``agenda.current``."""
    try:
        async for message in ws:
            at = time.perf_counter()
            frame = json.loads(message)
            if frame.get("type") == "agenda.current":
                round_ = audience.rounds.get(frame.get("item"))
                if round_ is not None:
                    round_.arrive(viewer, at)
    except ConnectionClosed:
        pass
    if not audience.closing:
        audience.dropped.append(f"{ws.close_code} {ws.close_reason}".strip())


async def close_all(sockets: Sequence[ClientConnection]) -> None:
    """Close every socket with a handshake, aborting whatever is left after a while."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def close_one(ws: ClientConnection) -> None:
        async with gate:
            await ws.close()

    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await asyncio.gather(*(close_one(ws) for ws in sockets), return_exceptions=True)
    except TimeoutError:
        for ws in sockets:
            ws.transport.abort()


class Organiser:
    """The organiser's socket: sends actions and matches their ``ack`` by ``ref``."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                frame = json.loads(message)
                future = self.replies.get(frame.get("ref") or "")
                if frame.get("type") in {"ack", "error"} and future and not future.done():
                    future.set_result(frame)
        except ConnectionClosed:
            pass

    async def send(self, kind: str, ref: str) -> asyncio.Future[dict[str, Any]]:
        """Send an action frame; return the future of its reply."""
        future = asyncio.get_running_loop().create_future()
        self.replies[ref] = future
        await self.ws.send(json.dumps({"type": kind, "ref": ref}))
        return future

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def fan_out(organiser: Organiser, kind: str, ref: str, round_: Round) -> str | None:
    """Send one action, wait for its ``ack``, then for its ``agenda.current`` everywhere.

    Both waits end ``ROUND_TIMEOUT`` after the send; viewers that have not received the
    frame by then count as lost. Returns a description of what went wrong, if anything.
    """
    deadline = asyncio.get_running_loop().time() + ROUND_TIMEOUT
    round_.t0 = time.perf_counter()
    reply = await organiser.send(kind, ref)
    try:
        async with asyncio.timeout_at(deadline):
            frame = await reply
            if frame.get("type") != "ack":
                return f"{kind} ref={ref}: {frame.get('code')} {frame.get('message')}"
            await round_.done.wait()
    except TimeoutError:
        if not reply.done():
            return f"{kind} ref={ref}: no ack within {ROUND_TIMEOUT:.0f} s"
    finally:
        round_.closed = True
    return None


# -- one server ------------------------------------------------------------------------


async def measure(server: Server, target: Target, advances: int, result: Measurement) -> None:
    """Connect the viewers and the organiser, run the advances, fill ``result``."""
    name = server.kind
    before = server.rss()
    log(f"[{name}] connecting {result.clients} viewers (RSS {before / 2**20:.1f} MiB)")
    with CpuUse(server) as cpu:
        viewers, failures, result.connect_s = await open_viewers(target, result.clients)
    result.connected = len(viewers)
    after = server.rss()
    if viewers:
        result.rss_per_socket_kib = (after - before) / len(viewers) / 1024
        extensions = viewers[0].response.headers.get("Sec-WebSocket-Extensions") or "none"
        log(
            f"[{name}] {len(viewers)}/{result.clients} connected in {result.connect_s:.1f} s "
            f"(RSS {after / 2**20:.1f} MiB, {cpu}, extensions: {extensions})"
        )
    if failures:
        result.errors.append(
            f"{len(viewers)} of {result.clients} sockets connected (first failure: {failures[0]!r})"
        )
    if not viewers:
        return
    result.expected = len(viewers) * advances
    audience = Audience(rounds={item: Round(item, len(viewers)) for item in target.items})
    readers = [asyncio.create_task(follow(ws, n, audience)) for n, ws in enumerate(viewers)]
    organiser: Organiser | None = None
    try:
        organiser = await open_organiser(target)
        await run_rounds(server, organiser, audience, target.items, advances, result)
    except Exception as exc:
        result.errors.append(f"organiser: {exc!r}")
    finally:
        audience.closing = True
        if audience.dropped:
            result.errors.append(
                f"server closed {len(audience.dropped)} viewer sockets "
                f"(first: {audience.dropped[0]})"
            )
        if organiser is not None:
            await organiser.close()
        await close_all(viewers)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.sleep(SETTLE)


async def open_organiser(target: Target) -> Organiser:
    ws, snapshot = await open_socket(target, asyncio.Semaphore(1), cookie=target.cookie)
    if not snapshot.get("viewer", {}).get("can_run"):
        ws.transport.abort()
        raise RuntimeError("the organiser's session cookie was not accepted (can_run false)")
    return Organiser(ws)


async def run_rounds(
    server: Server,
    organiser: Organiser,
    audience: Audience,
    items: tuple[int, ...],
    advances: int,
    result: Measurement,
) -> None:
    """Start the session (warm-up), then advance ``advances`` times."""
    name = server.kind
    warm_up = audience.rounds[items[0]]
    if error := await fan_out(organiser, "session.start", "1", warm_up):
        result.errors.append(error)
        return
    log(f"[{name}] session.start reached {len(warm_up.arrivals)} in {warm_up.duration():.3f} s")
    for n in range(1, advances + 1):
        await asyncio.sleep(ROUND_PAUSE)
        round_ = audience.rounds[items[n]]
        with CpuUse(server) as cpu:
            error = await fan_out(organiser, "agenda.advance", str(n + 1), round_)
        result.add_round(round_)
        latencies = round_.latencies()
        log(
            f"[{name}] advance {n}/{advances}: {len(latencies)}/{round_.expected} in "
            f"{round_.duration() * 1000:.1f} ms (p50 {_ms(percentile(latencies, 0.5)) or 0:.1f}"
            f" ms, {cpu}){f', {round_.duplicates} duplicates' if round_.duplicates else ''}"
        )
        if error:
            result.errors.append(error)
            return


def bench_server(
    kind: str, var_dir: Path, body_id: int, cookie: str, clients: int, advances: int
) -> tuple[dict[str, Any], bool]:
    """Run the benchmark against one server; return its summary and whether it logged."""
    session_id, items = create_session(body_id, f"Bench on {kind}", advances + 1)
    close_db_connections()
    result = Measurement(clients=clients)
    server = Server(kind, var_dir)
    log(f"[{kind}] starting on port {server.port} (session {session_id})")
    try:
        server.start()
        target = Target(
            url=f"{server.ws_base}/ws/sessions/{session_id}/",
            origin=server.origin,
            cookie=cookie,
            items=items,
        )
        uvloop.run(measure(server, target, advances, result))
    except Exception as exc:
        result.errors.append(repr(exc))
    finally:
        server.stop()
    lines = server.log_lines()
    if lines:
        log(f"[{kind}] server log {server.log_path} ({len(lines)} lines), last ones:")
        for line in lines[-20:]:
            log(f"[{kind}]   {line}")
    return result.summary(), bool(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=2000, help="viewer sockets (2000)")
    parser.add_argument("--advances", type=int, default=10, help="agenda advances timed (10)")
    parser.add_argument(
        "--scaled", action="store_true", help="keep DATABASE_URL and REDIS_URL from the environment"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.advances < 1:
        parser.error("--clients and --advances must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    limit = raise_open_files_limit()
    var_dir = prepare_environment(scaled=args.scaled)
    log(f"var dir {var_dir}, open files limit {limit}")
    migrate()
    setup_django()
    body_id, cookie = create_organiser()
    summaries: dict[str, dict[str, Any]] = {}
    keep = False
    for kind in SERVERS:
        summaries[kind], logged = bench_server(
            kind, var_dir, body_id, cookie, args.clients, args.advances
        )
        keep = keep or logged or "error" in summaries[kind]
    if keep:
        log(f"keeping {var_dir} for its logs")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    main_server, *others = SERVERS
    emit(
        {
            "bench": "connect",
            "clients": args.clients,
            "server": main_server,
            **summaries[main_server],
            "baselines": {kind: summaries[kind] for kind in others},
        }
    )


if __name__ == "__main__":
    main()
