"""Go live: N viewers on a session page when the ingest hook starts the broadcast.

Run: ``.venv/bin/python bench/golive.py [--clients N] [--no-daphne]`` (default
N=2000). Progress goes to stderr; the last line of stdout is one JSON object. The
run stops by itself, talks only to 127.0.0.1 and cleans up after itself.

Setup: a fresh temporary ``PLENARY_VAR_DIR`` (SQLite database and secret key),
migrated, on the embedded default (``DATABASE_URL`` and ``REDIS_URL`` unset:
SQLite, in-process room bus). A subprocess (``--fixtures``) creates, per server,
a session of six agenda items due to start in ten minutes and its broadcast: a
``Stream`` of the platform's ingest, ``scheduled``, with its secret key. The
servers run with ``PLENARY_INGEST_HLS_URL`` and ``PLENARY_INGEST_RELAY_URL`` set as
docs/streaming.md sets them for nginx-rtmp (both on 127.0.0.1, never fetched: no
player runs here), so the live frame names a playlist and the hook answers with
the relay's redirect, as in production.

For each of Uvicorn (the product: ``plenary.server``, the top-level keys) and
Daphne (``baselines.daphne``, skipped with ``--no-daphne``), one after the other
in one run, one server process serves the app on a free loopback port, and this
process (one uvloop event loop) plays the audience:

1. N anonymous viewers arrive, at most 200 at once: each loads the session page
   as a browser does (``GET /sessions/<id>/`` on a new connection, browser
   headers, the whole HTML read; the page's static bundle is not fetched), then
   opens ``/ws/sessions/<id>/`` with the page's cookies, if it set any, and
   waits for its snapshot, up to the broadcast's ``stream.state``
   (``scheduled``). Viewers are lean read-only clients (chat_fanout's
   ``LeanReader``: websockets' sans-I/O handshake, frames parsed here, no
   extension offered).
2. After a pause of ``LEAD_IN`` seconds, the broadcast goes live the way it does
   in production: this process posts nginx-rtmp's ``on_publish`` webhook
   (``POST /streaming/hooks/nginx-rtmp/``, form-encoded ``call=publish`` with the
   stream key as ``name`` and the fields nginx-rtmp sends along) and waits until
   every viewer's socket got the ``stream.status`` frame with status ``live``.

The numbers, per server:

``p50_ms`` / ``p99_ms`` / ``max_ms``
    Per viewer, from just before the hook's request is written to the moment the
    viewer's read callback gets the ``stream.status`` ``live`` frame. Same process,
    same clock. It includes the hook's view (key check, row lock, audit entry,
    event log, commit), the bus, the hub's fan-out to N sockets, the loopback and
    this process's own reading of N frames: the load generator shares the
    machine's 2 cores with the server, so compare servers, not absolutes. One
    event per run: N samples, not N x rounds.
``lost``
    Connected viewers that did not get the frame within ``LIVE_TIMEOUT`` (30 s)
    of the hook, including sockets the server closed.
``throughput_per_s``
    Deliveries divided by the delivery window, from the hook's send to the last
    delivery.
``hook_ms`` / ``hook_status``
    The hook's own answer: time until its whole response was read, and its
    status (302: the relay's redirect, nginx-rtmp's accept).
``connect_s``
    Seconds from the first arrival until every viewer has its snapshot (page
    loads included).
``page_load_p50_ms`` / ``page_load_p99_ms``
    Per viewer, the page's GET: from the connection attempt to the last byte of
    the HTML, while the other viewers arrive (at most 200 at once, so it includes
    the wait behind the other arrivals). ``page_alone_ms``: the median of
    ``PAGE_ALONE`` loads made one at a time before the audience arrives.
``server_cpu_s`` / ``client_cpu_s`` / ``other_cpu_s``
    Over the delivery window (hook sent until the last delivery, or the
    timeout): the server's CPU seconds, this process's, and what the rest of the
    machine used (other people's work on a shared machine; on 2 cores it moves
    every number). The window is a fraction of a second and the counters tick
    every 10 ms, so read these as coarse; ``connect_other_cpu_s`` is what the rest
    of the machine used during the arrivals (about a minute at N=2000).

A server that fails (does not start, refuses pages or sockets, refuses the
hook...) gets an ``error`` key next to what was measured, and the run carries on.
The temporary directory is removed at the end, unless a server logged anything
beyond its routine startup lines or a server failed: then it is kept, and named
on stderr, for its logs. SIGTERM unwinds like Ctrl-C (servers stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import uvloop
from _common import (
    HOST,
    ROOT,
    Server,
    emit,
    log,
    migrate,
    percentile,
    prepare_environment,
    raise_open_files_limit,
    rounded,
    setup_django,
)
from chat_fanout import Cpu, Endpoint, LeanReader, close_all, digest
from websockets.uri import parse_uri

#: Viewers arriving (page load, handshake, snapshot) at once.
IN_FLIGHT = 200
#: Seconds one viewer may take to load the page, open its socket and get its snapshot.
CONNECT_TIMEOUT = 30.0
#: Page loads made one at a time before the audience arrives (their median is reported).
PAGE_ALONE = 5
#: Seconds between the last viewer's snapshot and the hook.
LEAD_IN = 2.0
#: Seconds after the hook within which the live frame counts; later it is lost.
LIVE_TIMEOUT = 30.0
#: Seconds left to a server to run its disconnect handlers before it is stopped.
SETTLE = 1.0
#: What the servers are told about the ingest (docs/streaming.md, nginx-rtmp).
INGEST_ENVIRONMENT = {
    "PLENARY_INGEST_RTMP_URL": f"rtmp://{HOST}:1935/live",
    "PLENARY_INGEST_HLS_URL": f"http://{HOST}:8080/hls/{{name}}.m3u8",
    "PLENARY_INGEST_RELAY_URL": f"rtmp://{HOST}:1935/hls",
}
HOOK_PATH = "/streaming/hooks/nginx-rtmp/"
#: What a browser sends for a page (Chromium, a French-speaking resident).
PAGE_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    ),
    "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
    "Connection": "keep-alive",
}
#: Server log lines that are routine (startup, shutdown, Daphne's access log).
ROUTINE_LOG = re.compile(r"INFO:|[\d-]+ [\d:,]+ INFO |\S+:\d+ - - \[")


# -- fixtures (Django ORM, in a subprocess) ---------------------------------------------


def create_fixtures(count: int) -> list[dict[str, Any]]:
    """Create ``count`` sessions due in ten minutes, each with a scheduled ingest stream."""
    setup_django()
    from django.utils import timezone

    from assemblies.models import AgendaItem, Body, Organisation, Session
    from streaming.models import Stream

    tag = secrets.token_hex(4)
    organisation = Organisation.objects.create(name="Bench town", slug=f"bench-{tag}")
    body = Body.objects.create(
        organisation=organisation,
        name="Bench assembly",
        slug=f"bench-{tag}",
        kind=Body.Kind.NEIGHBOURHOOD_ASSEMBLY,
    )
    starts = timezone.now() + timedelta(minutes=10)
    made = []
    for n in range(count):
        session = Session.objects.create(
            body=body,
            title=f"Go-live bench {n}",
            kind=Session.Kind.PLENARY,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
        for position in range(1, 7):
            AgendaItem.objects.create(session=session, position=position, title=f"Item {position}")
        stream = Stream.objects.create(session=session, kind=Stream.Kind.INGEST)
        made.append({"session_id": session.pk, "key": stream.key})
    from django.db import connections

    connections.close_all()
    return made


def make_fixtures(count: int) -> list[tuple[int, str]]:
    """Run ``create_fixtures`` in a subprocess on the database the environment names."""
    done = subprocess.run(
        [sys.executable, __file__, "--fixtures", str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fixtures failed: {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return [(int(item["session_id"]), str(item["key"])) for item in data]


# -- what is measured ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One server's session: its page, its socket, its stream key."""

    server: Server
    session_id: int
    key: str

    @property
    def page(self) -> str:
        return f"/sessions/{self.session_id}/"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(
            url=f"{self.server.ws_base}/ws/sessions/{self.session_id}/",
            origin=self.server.origin,
            opening=("session.state", "stream.state"),
        )


@dataclass
class Tally:
    """When each viewer got the live frame, relative to the hook's send."""

    t0: float = 0.0
    arrivals: dict[int, float] = field(default_factory=dict)
    expected: int = 0
    duplicates: int = 0
    collecting: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: list[str] = field(default_factory=list)

    def reader(self, viewer: int) -> Callable[[bytes, int, int, float], None]:
        """A viewer's handler of live frames: times ``stream.status`` ``live``."""

        def on_text(buffer: bytes, start: int, stop: int, at: float) -> None:
            if not self.collecting or buffer.find(b"stream.status", start, stop) < 0:
                return
            frame = json.loads(buffer[start:stop])
            if frame.get("type") != "stream.status" or frame.get("status") != "live":
                return
            if viewer in self.arrivals:
                self.duplicates += 1
                return
            self.arrivals[viewer] = at - self.t0
            if len(self.arrivals) >= self.expected:
                self.done.set()

        return on_text

    def lose(self, reason: str) -> None:
        """A socket closed while the run was going on."""
        if self.collecting or not self.t0:
            self.dropped.append(reason)


@dataclass
class Outcome:
    """One server's numbers, filled in as the run goes so that a failure keeps them."""

    clients: int
    connected: int = 0
    connect_s: float | None = None
    page_alone: float | None = None
    page_loads: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    window_s: float = 0.0
    hook_ms: float | None = None
    hook_status: int | None = None
    cpu: Cpu | None = None
    connect_cpu: Cpu | None = None
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        delivered = len(self.latencies)
        result: dict[str, Any] = {
            "clients": self.clients,
            "p50_ms": rounded(_ms(percentile(self.latencies, 0.50))),
            "p99_ms": rounded(_ms(percentile(self.latencies, 0.99))),
            "max_ms": rounded(_ms(max(self.latencies, default=None))),
            "lost": self.connected - delivered if self.hook_status is not None else None,
            "throughput_per_s": rounded(delivered / self.window_s if self.window_s else None),
            "hook_ms": rounded(self.hook_ms),
            "hook_status": self.hook_status,
            "connect_s": rounded(self.connect_s),
            "page_load_p50_ms": rounded(_ms(percentile(self.page_loads, 0.50))),
            "page_load_p99_ms": rounded(_ms(percentile(self.page_loads, 0.99))),
            "page_alone_ms": rounded(_ms(self.page_alone)),
            "server_cpu_s": rounded(self.cpu.server if self.cpu else None, 2),
            "client_cpu_s": rounded(self.cpu.client if self.cpu else None, 2),
            "other_cpu_s": rounded(self.cpu.others if self.cpu else None, 2),
            "connect_other_cpu_s": rounded(self.connect_cpu.others if self.connect_cpu else None),
        }
        if self.errors:
            result["error"] = "; ".join(self.errors)
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


# -- HTTP, as a browser and as nginx-rtmp ----------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body_bytes: int

    def cookies(self) -> str:
        """The cookies set, as a browser would send them back (``name=value; ...``)."""
        pairs = [
            value.split(";", 1)[0].strip()
            for name, value in self.headers
            if name.lower() == "set-cookie"
        ]
        return "; ".join(pair for pair in pairs if "=" in pair)


async def http_request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Response:
    """One HTTP/1.1 request on a new loopback connection; reads the whole response."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        parsed = [
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines if line)
        ]
        fields = {name.lower(): value for name, value in parsed}
        if "content-length" in fields:
            size = int(fields["content-length"])
            await reader.readexactly(size)
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            size = 0
            while True:
                length = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(length + 2)
                size += length
                if not length:
                    break
        else:
            size = len(await reader.read())
        return Response(status, parsed, size)
    finally:
        writer.transport.abort()


async def load_page(target: Target) -> tuple[Response, float]:
    """The session page, as a browser loads it (without its static files)."""
    started = time.perf_counter()
    response = await http_request(target.server.port, "GET", target.page, PAGE_HEADERS)
    return response, time.perf_counter() - started


async def post_hook(target: Target, tally: Tally) -> Response:
    """nginx-rtmp's ``on_publish``: the fields it posts, with the stream key as ``name``."""
    form = {
        "app": "live",
        "flashver": "FMLE/3.0 (compatible; FMSc/1.0)",
        "swfurl": "",
        "tcurl": f"rtmp://{HOST}:1935/live",
        "pageurl": "",
        "addr": HOST,
        "clientid": "1",
        "call": "publish",
        "name": target.key,
        "type": "live",
    }
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    tally.t0 = time.perf_counter()
    tally.collecting = True
    return await http_request(target.server.port, "POST", HOOK_PATH, headers, body)


# -- viewers ---------------------------------------------------------------------------


class Viewer(LeanReader):
    """A lean reader whose opening is the session's snapshot, up to ``stream.state``.

    How many frames the snapshot holds depends on the apps installed; the broadcast's
    ``stream.state`` comes after the programme's and the chat's, so the viewer counts
    as arrived when it has it (checked: ``session.state`` first, the broadcast
    ``scheduled``). The page's cookies, if any, go with the handshake.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        cookie: str,
        on_text: Callable[[bytes, int, int, float], None],
        on_lost: Callable[[str], None],
    ) -> None:
        super().__init__(endpoint, on_text, on_lost)
        self.cookie = cookie

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.cookie:
            request = self.handshake.connect()
            request.headers["Cookie"] = self.cookie
            self.handshake.send_request(request)
            self.transport = transport  # type: ignore[assignment]
            self.transport.write(b"".join(self.handshake.data_to_send()))
            return
        super().connection_made(transport)

    def _text(self, buffer: bytes, start: int, stop: int, at: float) -> None:
        if self.opened.done():
            self.on_text(buffer, start, stop, at)
            return
        raw = buffer[start:stop]
        self.opening.append(raw)
        if b"stream.state" in raw and json.loads(raw).get("type") == "stream.state":
            self.opening_left = 0
            self.opened.set_result(self.opening)


async def arrive(
    target: Target, viewer: int, gate: asyncio.Semaphore, tally: Tally, outcome: Outcome
) -> Viewer:
    """Load the page, open the socket, wait for the snapshot; checked all along."""
    endpoint = target.endpoint
    uri = parse_uri(endpoint.url)
    loop = asyncio.get_running_loop()
    async with gate:
        socket: Viewer | None = None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                page, took = await load_page(target)
                if page.status != 200:
                    raise RuntimeError(f"the session page answered {page.status}")
                outcome.page_loads.append(took)
                cookie = page.cookies()
                _, socket = await loop.create_connection(
                    lambda: Viewer(endpoint, cookie, tally.reader(viewer), tally.lose),
                    uri.host,
                    uri.port,
                )
                opening = await socket.opened
            kinds = [json.loads(raw).get("type") for raw in opening]
            if kinds[0] != "session.state":
                raise RuntimeError(f"first frame is {kinds[0]!r}, not session.state")
            status = json.loads(opening[-1]).get("status")
            if status != "scheduled":
                raise RuntimeError(f"the snapshot's broadcast is {status!r}, not scheduled")
        except BaseException:
            if socket is not None and socket.transport is not None:
                socket.closing = True
                socket.transport.abort()
            raise
    assert socket is not None
    return socket


async def measure(target: Target, clients: int, outcome: Outcome) -> None:
    """Bring the audience in, post the hook, collect the arrivals into ``outcome``."""
    name, server = target.server.kind, target.server
    tally = Tally()
    gate = asyncio.Semaphore(IN_FLIGHT)
    alone: list[float] = []
    for _ in range(PAGE_ALONE):
        page, took = await load_page(target)
        if page.status != 200:
            raise RuntimeError(f"the session page answered {page.status}")
        alone.append(took)
    outcome.page_alone = percentile(alone, 0.5)
    cookies = ", ".join(c.split("=", 1)[0] for c in page.cookies().split("; ") if c) or "none"
    log(
        f"[{name}] the page alone: {outcome.page_alone * 1000:.1f} ms ({page.body_bytes} bytes, "
        f"cookies set: {cookies})"
    )
    log(f"[{name}] {clients} viewers arriving (page, socket, snapshot), {IN_FLIGHT} at once")
    before = Cpu.now([server])
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(arrive(target, n, gate, tally, outcome) for n in range(clients)),
        return_exceptions=True,
    )
    outcome.connect_s = time.perf_counter() - started
    outcome.connect_cpu = Cpu.now([server]) - before
    viewers = [o for o in outcomes if isinstance(o, Viewer)]
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    outcome.connected = len(viewers)
    pages = outcome.page_loads
    log(
        f"[{name}] {len(viewers)}/{clients} arrived in {outcome.connect_s:.1f} s (page p50 "
        f"{_ms(percentile(pages, 0.5)) or 0:.0f} ms, p99 {_ms(percentile(pages, 0.99)) or 0:.0f}"
        f" ms; server RSS {server.rss() / 2**20:.0f} MiB; {outcome.connect_cpu})"
    )
    if failures:
        outcome.errors.append(
            f"{len(viewers)} of {clients} viewers arrived (first failure: {failures[0]!r})"
        )
    if not viewers:
        return
    try:
        await asyncio.sleep(LEAD_IN)
        if tally.dropped:
            outcome.errors.append(
                f"server closed {len(tally.dropped)} sockets before the hook "
                f"(first: {tally.dropped[0]})"
            )
        tally.expected = len(viewers)
        await go_live(target, tally, outcome)
    except Exception as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        tally.collecting = False
        await close_all(viewers)
        await asyncio.sleep(SETTLE)


async def go_live(target: Target, tally: Tally, outcome: Outcome) -> None:
    """Post the hook, then wait for every viewer's live frame (at most LIVE_TIMEOUT)."""
    name, server = target.server.kind, target.server
    cpu = Cpu.now([server])
    log(f"[{name}] posting on_publish for session {target.session_id}")
    try:
        async with asyncio.timeout(LIVE_TIMEOUT):
            response = await post_hook(target, tally)
            outcome.hook_ms = (time.perf_counter() - tally.t0) * 1000
            outcome.hook_status = response.status
            if response.status not in (200, 302):
                outcome.errors.append(f"the hook answered {response.status}")
                return
            await tally.done.wait()
    except TimeoutError:
        if outcome.hook_status is None:
            outcome.errors.append(f"the hook did not answer within {LIVE_TIMEOUT:.0f} s")
    finally:
        tally.collecting = False
        outcome.cpu = Cpu.now([server]) - cpu
        outcome.latencies = list(tally.arrivals.values())
        outcome.window_s = max(outcome.latencies, default=0.0)
    latencies = outcome.latencies
    log(
        f"[{name}] hook {outcome.hook_status} in {outcome.hook_ms or 0:.1f} ms; live frame "
        f"reached {len(latencies)}/{tally.expected} (p50 {_ms(percentile(latencies, 0.5)) or 0:.1f}"
        f" ms, last {outcome.window_s * 1000:.1f} ms); {outcome.cpu}"
    )
    if tally.duplicates:
        outcome.errors.append(f"{tally.duplicates} duplicate live frames")
    if tally.dropped:
        outcome.errors.append(
            f"server closed {len(tally.dropped)} sockets (first: {tally.dropped[0]})"
        )


# -- one server ------------------------------------------------------------------------


def notable_lines(server: Server) -> list[str]:
    """The server's log without its routine startup and shutdown lines."""
    return [line for line in server.log_lines() if not ROUTINE_LOG.match(line)]


def bench_server(target: Target, clients: int) -> tuple[dict[str, Any], bool]:
    """Start the server, measure, stop it; return the summary and whether to keep logs."""
    name, server = target.server.kind, target.server
    outcome = Outcome(clients=clients)
    log(f"[{name}] starting on port {server.port} (session {target.session_id})")
    try:
        server.start()
        uvloop.run(measure(target, clients, outcome))
    except Exception as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        server.stop()
    lines = notable_lines(server)
    if lines:
        log(f"[{name}] server log {server.log_path}: {len(lines)} lines; headlines:")
        for line in digest(lines):
            log(f"[{name}]   {line}")
    summary = outcome.summary()
    log(f"[{name}] {json.dumps(summary)}")
    return summary, bool(lines) or "error" in summary


# -- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=2000, help="viewers (2000)")
    parser.add_argument("--no-daphne", action="store_true", help="skip the Daphne baseline")
    parser.add_argument("--fixtures", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fixtures is None and args.clients < 1:
        parser.error("--clients must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.fixtures is not None:
        print(json.dumps(create_fixtures(args.fixtures)), flush=True)
        return
    # A SIGTERM unwinds like Ctrl-C, so servers stop and the directory goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    limit = raise_open_files_limit()
    if args.clients + 100 > limit:
        log(f"warning: about {args.clients} sockets at once but the open files limit is {limit}")
    kinds = ("uvicorn",) if args.no_daphne else ("uvicorn", "daphne")
    var_dir = prepare_environment(scaled=False)
    saved = {name: os.environ.get(name) for name in INGEST_ENVIRONMENT}
    os.environ.update(INGEST_ENVIRONMENT)
    log(f"var dir {var_dir}; {args.clients} viewers; open files limit {limit}; migrating SQLite")
    keep = False
    summaries: dict[str, dict[str, Any]] = {}
    try:
        migrate()
        sessions = make_fixtures(len(kinds))
        for kind, (session_id, key) in zip(kinds, sessions, strict=True):
            target = Target(Server(kind, var_dir), session_id, key)
            try:
                summaries[kind], logged = bench_server(target, args.clients)
            except Exception as exc:
                log(f"[{kind}] failed: {exc!r}")
                summaries[kind], logged = {"clients": args.clients, "error": repr(exc)}, True
            keep = keep or logged
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if keep:
            log(f"keeping {var_dir} for its logs")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    main_kind, *others = kinds
    emit(
        {
            "bench": "golive",
            "server": main_kind,
            **summaries[main_kind],
            "baselines": {kind: summaries[kind] for kind in others},
        }
    )


if __name__ == "__main__":
    main()
