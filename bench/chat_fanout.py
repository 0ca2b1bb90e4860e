"""Chat fan-out: R messages/s posted for S seconds, delivered to N readers of one room.

Run: ``.venv/bin/python bench/chat_fanout.py [--clients N] [--rate R] [--seconds S]
[--no-scaled]`` (defaults: N=2000, R=25, S=20). Progress goes to stderr; the last
line of stdout is one JSON object. The run stops by itself, talks only to
127.0.0.1 and cleans up after itself.

What runs, side by side in one run, with the same load and the same measurement:

``plenary`` (the top-level keys)
    The product as served (``plenary.server``: uvicorn, uvloop, no per-message
    deflate), one process on its embedded default: SQLite in a fresh temporary
    ``PLENARY_VAR_DIR`` and the in-process room bus. N anonymous readers and P
    logged-in posters (users with no role, one Django session each) open
    ``/ws/sessions/<id>/`` on a scheduled session, whose chat is open; each socket
    waits for its opening ``session.state`` and ``chat.history``. Posters send
    ``chat.post`` frames with a ``ref``; a post counts as accepted when its
    ``ack`` comes back.
``baselines.plenary_2proc``
    The scaled setup: two server processes sharing a fresh PostgreSQL database
    (created for the run and dropped after it) and Redis (the room bus is Redis
    pub/sub), 2N readers and the P posters split evenly between them, the same
    aggregate rate R. ``ratio_vs_1proc`` is its throughput over ``plenary``'s.
    Skipped with ``--no-scaled``; an ``error`` when PostgreSQL or Redis is missing.
``baselines.tutorial``
    The Channels tutorial pattern (``bench/baselines/tutorial_asgi.py``): one
    ``group_send`` per post through the in-memory channel layer, then one channel
    message and one ``json.dumps`` per socket; one uvicorn process, uvloop, no
    deflate. Posts are not acknowledged: every post sent counts as accepted.
``baselines.ceiling``
    A bare ``websockets`` broadcast server on uvloop
    (``bench/baselines/ceiling_server.py``): each frame received is written as-is
    to every connection, no compression, no acknowledgement.

The load: P = ceil(R / 0.4) posters (at most 0.4 posts/s each, under the chat's
flood limit of 5 posts in 10 s per user) post in turn on one evenly spaced
schedule, message k at t0 + k/R, so R posts/s in all, R*S posts. Every post's
text is ``fanout-<k>-<wall clock ns>``; just before sending it, this process
notes the time. Readers and posters live in this one process on one uvloop event
loop, all connected before posting starts, at most 200 handshakes in flight.
Posters use websockets' asyncio client, which offers per-message deflate as
browsers do (what the server negotiated is logged; none of the servers here
accepts it), and read the room's frames like everyone. Readers are lean
read-only clients (``LeanReader``: websockets' sans-I/O handshake, frames parsed
here, no extension offered). Measured here against the ceiling server, 2,000
readers at 25 frames/s each: websockets' asyncio client cost this process 34 us
of CPU per frame (28 us in Python), ``LeanReader`` 15-16 us (7 us in Python, the
rest the kernel's receive path), so at 50k frames/s the client takes most of
one core rather than all of it and more: see ``client_cpu_s``.

The numbers, per target:

``p50_ms`` / ``p99_ms``
    Over every delivery received: from the post's send to the moment a reader's
    read loop gets the frame carrying its text (``chat.message`` for the product
    and the tutorial, the posted frame itself for the ceiling). Same process,
    same clock. It includes the server's whole path (for the product: parsing,
    access and flood checks, the database transaction, the bus, the hub, every
    socket's writer) and this process's own reading: the load generator shares
    the machine's cores with the server, so compare targets, not absolutes.
``lost``
    Accepted posts x connected readers, minus the deliveries received by 10 s
    after the last post was sent: frames dropped, sockets the server closed, or
    late beyond that. Percentiles are over what was received, so read them with
    ``lost``.
``throughput_per_s``
    Deliveries received divided by the time from the first post's send to the
    last delivery. When a target keeps up, this is the offered load, N x R.
``server_cpu_s`` / ``server_rss_mib``
    CPU seconds (user + system) of the server process(es) from the first post
    until the deliveries are in (or the 10 s are up), and the largest resident
    memory seen meanwhile (sampled every 0.5 s; two processes are summed).
``clients``, ``connect_s``, ``posted``, ``accepted``
    Readers asked for, seconds to connect them all, posts sent, posts accepted
    (acknowledged by the end of the window; the others count neither as expected
    nor as lost, so read ``lost`` with ``accepted``).
``ack_p50_ms`` / ``ack_p99_ms``
    From a post's send to its ``ack`` (null where posts are not acknowledged):
    the server's intake of posts. When it grows like the delivery latency, posts
    are queueing on their way in, not only on their way out.
``client_cpu_s`` / ``other_cpu_s``
    Over the same window as ``server_cpu_s``: this process's CPU seconds (a
    client near one full core per second sets the pace itself), and what the
    rest of the machine used (other work on a shared machine takes cores from
    both sides; on 2 cores, anything here distorts every number).

A target that fails (does not start, refuses sockets, closes them, refuses
posts...) gets an ``error`` key next to what was measured, and the run carries
on. A server's log is summarised and its temporary directory kept when it
logged anything but uvicorn's ``INFO:`` lines or its target failed; otherwise
the directory is removed. The bench database is always dropped, and SIGTERM
unwinds like Ctrl-C (servers stopped, database dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import psutil
import uvloop
from _common import (
    BIN,
    HOST,
    ROOT,
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
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri
from websockets.utils import apply_mask

#: Handshakes (up to the opening frames) in flight at once while connecting.
IN_FLIGHT = 200
#: Seconds one socket may take to open and receive its opening frames.
CONNECT_TIMEOUT = 30.0
#: Seconds after the last post within which deliveries count; later ones are lost.
DRAIN_TIMEOUT = 10.0
#: Seconds the posters may run past their schedule before they are stopped.
POST_SLACK = 30.0
#: Seconds between the last poster connecting and the first post.
LEAD_IN = 0.5
#: Seconds allowed to close every socket cleanly before the rest are aborted.
CLOSE_TIMEOUT = 10.0
#: Seconds left to a server to run its disconnect handlers before it is stopped.
SETTLE = 1.0
#: Seconds between two samples of the servers' memory (and progress lines).
SAMPLE_EVERY = 0.5
PROGRESS_EVERY = 5.0
#: Posts per second one poster may make: under the flood limit (5 in 10 s).
MAX_POSTS_PER_POSTER_S = 0.4
#: Finds message k in any frame that carries its text.
MARKER = re.compile(rb"fanout-(\d+)-")
#: The scaled setup's services.
POSTGRES_ADMIN = ("psql", "-h", HOST, "-p", "5432", "-U", "postgres", "-d", "postgres")
POSTGRES_URL = f"postgres://postgres@{HOST}:5432/{{name}}"
REDIS_URL = f"redis://{HOST}:6379/0"


# -- fixtures (Django ORM, in a subprocess so each run can use its own database) ------


def create_fixtures(posters: int) -> dict[str, Any]:
    """Create a scheduled session and ``posters`` logged-in users with no role.

    The session gets a random id far above anything a test creates, so its Redis
    pub/sub channel (``plenary:room:session:<id>``) is the run's own even when
    other processes share the Redis server.
    """
    setup_django()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from assemblies.models import Body, Organisation, Session

    tag = secrets.token_hex(4)
    organisation = Organisation.objects.create(name="Bench town", slug=f"bench-{tag}")
    body = Body.objects.create(
        organisation=organisation,
        name="Bench assembly",
        slug=f"bench-{tag}",
        kind=Body.Kind.NEIGHBOURHOOD_ASSEMBLY,
    )
    now = timezone.now()
    session = Session.objects.create(
        pk=10**9 + secrets.randbelow(10**9),
        body=body,
        title="Chat fan-out bench",
        kind=Session.Kind.PLENARY,
        starts_at=now,
        ends_at=now + timedelta(hours=3),
    )
    name = settings.SESSION_COOKIE_NAME
    cookies = []
    for n in range(posters):
        user = User(username=f"poster-{tag}-{n}", display_name=f"Poster {n}")
        user.set_unusable_password()
        user.save()
        client = Client()
        client.force_login(user)
        cookies.append(f"{name}={client.cookies[name].value}")
    close_db_connections()
    return {"session_id": session.pk, "cookies": cookies}


def make_fixtures(posters: int) -> tuple[int, list[str]]:
    """Run ``create_fixtures`` in a subprocess on the database the environment names."""
    done = subprocess.run(
        [sys.executable, __file__, "--fixtures", str(posters)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fixtures failed: {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return int(data["session_id"]), list(data["cookies"])


# -- what is measured ---------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """Who connects and how fast they post."""

    readers: int
    posters: int
    rate: float
    seconds: float

    @property
    def messages(self) -> int:
        return max(1, round(self.rate * self.seconds))


@dataclass(frozen=True)
class Endpoint:
    """One server's socket URL, and what a socket gets on connecting."""

    url: str
    origin: str
    opening: tuple[str, ...] = ()  # frame types, in order, before live events


@dataclass(frozen=True)
class Target:
    """What one measurement talks to: endpoints, posters' cookies, whether posts are acked."""

    name: str
    servers: tuple[Server, ...]
    endpoints: tuple[Endpoint, ...]
    cookies: tuple[str | None, ...]  # one per poster
    acks: bool


@dataclass
class Tally:
    """Everything the clients saw, indexed by message number k."""

    messages: int
    send_times: list[float] = field(default_factory=list)
    latencies: list[list[float]] = field(default_factory=list)
    accepted: bytearray = field(default_factory=bytearray)
    refused: dict[str, int] = field(default_factory=dict)
    ack_latencies: list[float] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)
    sent: int = 0
    accepted_total: int = 0
    resolved: int = 0  # posts acknowledged or refused
    received: int = 0
    duplicates: int = 0
    first_send: float = 0.0
    last_send: float = 0.0
    last_delivery: float = 0.0
    collecting: bool = True
    closed_at: float = 0.0  # when counting stopped
    dropped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.send_times = [0.0] * self.messages
        self.latencies = [[] for _ in range(self.messages)]
        self.accepted = bytearray(self.messages)
        self.accepted_at = [0.0] * self.messages

    def sending(self, k: int) -> None:
        now = time.perf_counter()
        self.send_times[k] = now
        if not self.sent:
            self.first_send = now
        self.last_send = max(self.last_send, now)
        self.sent += 1

    def accept(self, k: int, acked: bool = True) -> None:
        if 0 <= k < self.messages and not self.accepted[k]:
            now = time.perf_counter()
            self.accepted_at[k] = now
            if acked:
                self.ack_latencies.append(now - self.send_times[k])
            self.accepted[k] = 1
            self.accepted_total += 1
            self.resolved += 1

    def refuse(self, k: int, code: str) -> None:
        if 0 <= k < self.messages and not self.accepted[k]:
            self.refused[code] = self.refused.get(code, 0) + 1
            self.resolved += 1

    def reader(self) -> Callable[[bytes, int, int, float], None]:
        """A reader's frame handler: times the first arrival of each message."""
        seen = bytearray(self.messages)
        latencies, send_times, search = self.latencies, self.send_times, MARKER.search

        def on_text(buffer: bytes, start: int, stop: int, at: float) -> None:
            if not self.collecting:
                return
            match = search(buffer, start, stop)
            if match is None:
                return
            k = int(match[1])
            if k >= self.messages:
                return
            if seen[k]:
                self.duplicates += 1
                return
            seen[k] = 1
            latencies[k].append(at - send_times[k])
            self.received += 1
            self.last_delivery = at

        return on_text

    def stop(self) -> None:
        if self.collecting:
            self.collecting = False
            self.closed_at = time.perf_counter()

    def shortfalls(self, readers: int) -> list[tuple[int, int, float]]:
        """Accepted messages that some readers lacked: (k, readers lacking it, seconds
        between its acceptance and the end of counting)."""
        return [
            (k, readers - len(self.latencies[k]), self.closed_at - self.accepted_at[k])
            for k in range(self.messages)
            if self.accepted[k] and len(self.latencies[k]) < readers
        ]

    def lose(self, reason: str) -> None:
        """A socket closed while the run was going on."""
        if self.collecting:
            self.dropped.append(reason)

    def accepted_count(self) -> int:
        return self.accepted_total

    def delivered(self) -> list[float]:
        """Latencies of every delivery of an accepted message."""
        return [x for k in range(self.messages) if self.accepted[k] for x in self.latencies[k]]


@dataclass
class Outcome:
    """One target's numbers, filled in as the run goes so that a failure keeps them."""

    clients: int
    connected: int = 0
    connect_s: float | None = None
    tally: Tally | None = None
    cpu: Cpu | None = None
    server_rss: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = {"clients": self.clients}
        tally = self.tally
        if tally is not None:
            latencies = tally.delivered()
            accepted = tally.accepted_count()
            span = tally.last_delivery - tally.first_send
            result |= {
                "p50_ms": rounded(_ms(percentile(latencies, 0.50))),
                "p99_ms": rounded(_ms(percentile(latencies, 0.99))),
                "lost": accepted * self.connected - len(latencies),
                "throughput_per_s": rounded(len(latencies) / span if latencies else 0.0),
            }
        else:
            result |= {"p50_ms": None, "p99_ms": None, "lost": None, "throughput_per_s": None}
        result |= {
            "server_cpu_s": rounded(self.cpu.server if self.cpu else None),
            "server_rss_mib": rounded(self.server_rss / 2**20 if self.server_rss else None),
            "connect_s": rounded(self.connect_s),
            "posted": tally.sent if tally else 0,
            "accepted": tally.accepted_count() if tally else 0,
            "ack_p50_ms": rounded(_ms(percentile(tally.ack_latencies, 0.5))) if tally else None,
            "ack_p99_ms": rounded(_ms(percentile(tally.ack_latencies, 0.99))) if tally else None,
            "client_cpu_s": rounded(self.cpu.client if self.cpu else None),
            "other_cpu_s": rounded(self.cpu.others if self.cpu else None),
        }
        if tally is not None and tally.duplicates:
            result["duplicates"] = tally.duplicates
        if self.errors:
            result["error"] = "; ".join(self.errors)
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def servers_cpu(servers: Sequence[Server]) -> float:
    return sum(server.cpu_seconds() for server in servers)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used so far by the servers, this process, and the whole machine."""

    server: float
    client: float
    machine: float
    server_system: float = 0.0  # the kernel's share of ``server`` and ``client``
    client_system: float = 0.0

    @classmethod
    def now(cls, servers: Sequence[Server]) -> Cpu:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + t.irq + t.softirq + t.steal
        server_system = sum(
            psutil.Process(server.process.pid).cpu_times().system
            for server in servers
            if server.process is not None
        )
        return cls(
            servers_cpu(servers), time.process_time(), busy, server_system, os.times().system
        )

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            *(getattr(self, f.name) - getattr(other, f.name) for f in dataclasses.fields(self))
        )

    def __str__(self) -> str:
        return (
            f"CPU: server {self.server:.1f} s ({self.server_system:.1f} s in the kernel), "
            f"client {self.client:.1f} s ({self.client_system:.1f} s in the kernel), "
            f"others {self.others:.1f} s"
        )

    @property
    def others(self) -> float:
        """What everything else on the machine used (other people's work, the kernel)."""
        return max(0.0, self.machine - self.server - self.client)


def servers_rss(servers: Sequence[Server]) -> int:
    return sum(server.rss() for server in servers)


# -- sockets ---------------------------------------------------------------------------


async def open_socket(
    endpoint: Endpoint, gate: asyncio.Semaphore, cookie: str | None = None
) -> tuple[ClientConnection, list[dict[str, Any]]]:
    """Open one socket and return it with its opening frames (checked by type)."""
    headers = {"Cookie": cookie} if cookie else None
    async with gate:
        ws = await connect(
            endpoint.url,
            origin=Origin(endpoint.origin),
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT,
            ping_interval=None,  # browsers do not ping; the server's pings are answered
            close_timeout=5,
            proxy=None,
        )
        try:
            opening = []
            async with asyncio.timeout(CONNECT_TIMEOUT):
                for expected in endpoint.opening:
                    frame = json.loads(await ws.recv())
                    if frame.get("type") != expected:
                        raise RuntimeError(f"got {frame.get('type')!r} instead of {expected!r}")
                    opening.append(frame)
        except BaseException:
            ws.transport.abort()
            raise
        return ws, opening


class LeanReader(asyncio.Protocol):
    """A read-only websocket client that parses frames itself (about 1 us a frame).

    websockets' asyncio client spends some 28 us of Python per frame received (its
    parser, assembler and a task wake-up), this one about 7 us (mostly uvloop's
    read callback): with thousands of readers on one core, that decides whether
    the client or the server sets the pace. The handshake is websockets' sans-I/O
    ``ClientProtocol`` (request,
    response checks); after it, frames are parsed here: text frames go to
    ``on_text`` with their bounds in the received buffer (no copy, no decoding),
    pings get their pong, a close is answered. No extension is offered, so
    nothing comes compressed; a frame with a reserved bit set is refused.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        on_text: Callable[[bytes, int, int, float], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self.handshake = ClientProtocol(parse_uri(endpoint.url), origin=Origin(endpoint.origin))
        self.opening_left = len(endpoint.opening)
        self.opening: list[bytes] = []
        self.on_text = on_text
        self.on_lost = on_lost
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[list[bytes]] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.closing = False
        self.close_code: int | None = None
        self.fragments: list[bytes] | None = None

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.handshake.send_request(self.handshake.connect())
        self.transport.write(b"".join(self.handshake.data_to_send()))

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        buffer = self.buffer + data if self.buffer else data
        if not self.upgraded:
            head = buffer.find(b"\r\n\r\n")
            if head < 0:
                self.buffer = buffer
                return
            self.handshake.receive_data(buffer[: head + 4])
            self.handshake.events_received()
            if self.handshake.state is not State.OPEN:
                status = buffer[: buffer.find(b"\r\n")].decode("latin-1")
                self._fail(f"handshake refused: {status}")
                return
            self.upgraded = True
            buffer = buffer[head + 4 :]
            if not self.opening_left:
                self.opened.set_result([])
        self.buffer = self._parse(buffer, at)

    def connection_lost(self, exc: Exception | None) -> None:
        reason = f"{self.close_code or 1006}"
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before opening ({reason})"))
        if not self.lost.done():
            self.lost.set_result(None)
        if not self.closing:
            self.on_lost(reason)

    # -- frames ------------------------------------------------------------------------

    def _parse(self, buffer: bytes, at: float) -> bytes:
        """Handle every whole frame in ``buffer``; return the incomplete rest."""
        pos, end = 0, len(buffer)
        while end - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            stop = start + length
            if stop > end:
                break
            pos = stop
            if first & 0x70:
                self._fail("a frame with a reserved bit (compressed?)")
                return b""
            opcode, fin = first & 0x0F, first & 0x80
            if opcode == 1 and fin:
                self._text(buffer, start, stop, at)
            elif opcode in (0, 1, 2):
                self._fragment(opcode, buffer[start:stop], bool(fin), at)
            elif opcode == 8:
                self._closed_by_server(buffer[start:stop])
            elif opcode == 9:
                self._send(0xA, buffer[start:stop])
        return buffer[pos:]

    def _text(self, buffer: bytes, start: int, stop: int, at: float) -> None:
        if self.opening_left:
            self.opening.append(buffer[start:stop])
            self.opening_left -= 1
            if not self.opening_left and not self.opened.done():
                self.opened.set_result(self.opening)
            return
        self.on_text(buffer, start, stop, at)

    def _fragment(self, opcode: int, payload: bytes, fin: bool, at: float) -> None:
        if opcode:  # the first fragment: text (1) or binary (2)
            self.fragments = [bytes([opcode]), payload]
        elif self.fragments is not None:
            self.fragments.append(payload)
        if fin and self.fragments is not None:
            kind, *parts = self.fragments
            self.fragments = None
            if kind == b"\x01":
                message = b"".join(parts)
                self._text(message, 0, len(message), at)

    def _closed_by_server(self, payload: bytes) -> None:
        self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
        if not self.closing:
            self._send(0x8, payload[:2])
        assert self.transport is not None
        self.transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        """Write one masked control frame (payloads under 126 bytes)."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        header = bytes([0x80 | opcode, 0x80 | len(payload)])
        self.transport.write(header + mask + apply_mask(payload, mask))

    def _fail(self, reason: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.abort()

    # -- for the benchmark ---------------------------------------------------------------

    async def close(self) -> None:
        """Send a close frame and wait for the server to end the connection."""
        self.closing = True
        self._send(0x8, (1000).to_bytes(2, "big"))
        await asyncio.shield(self.lost)


async def open_reader(
    endpoint: Endpoint,
    gate: asyncio.Semaphore,
    on_text: Callable[[bytes, int, int, float], None],
    on_lost: Callable[[str], None],
) -> LeanReader:
    """Connect one lean reader and wait for its opening frames (checked by type)."""
    uri = parse_uri(endpoint.url)
    loop = asyncio.get_running_loop()
    async with gate:
        reader: LeanReader | None = None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                _, reader = await loop.create_connection(
                    lambda: LeanReader(endpoint, on_text, on_lost), uri.host, uri.port
                )
                opening = await reader.opened
            for expected, raw in zip(endpoint.opening, opening, strict=True):
                kind = json.loads(raw).get("type")
                if kind != expected:
                    raise RuntimeError(f"got {kind!r} instead of {expected!r}")
        except BaseException:
            if reader is not None and reader.transport is not None:
                reader.closing = True
                reader.transport.abort()
            raise
    assert reader is not None
    return reader


async def open_readers(
    endpoints: Sequence[Endpoint], count: int, tally: Tally
) -> tuple[list[LeanReader], list[BaseException], float]:
    """Open ``count`` anonymous readers, spread evenly over ``endpoints``."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(
            open_reader(endpoints[n % len(endpoints)], gate, tally.reader(), tally.lose)
            for n in range(count)
        ),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    readers = [o for o in outcomes if isinstance(o, LeanReader)]
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    return readers, failures, elapsed


async def open_posters(target: Target) -> list[ClientConnection]:
    """Open one socket per poster (poster i on endpoint i mod E); all or nothing."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    endpoints = target.endpoints
    outcomes = await asyncio.gather(
        *(
            open_socket(endpoints[n % len(endpoints)], gate, cookie)
            for n, cookie in enumerate(target.cookies)
        ),
        return_exceptions=True,
    )
    sockets = [o[0] for o in outcomes if isinstance(o, tuple)]
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, tuple) and target.acks and not _can_post(o[1])]
    if failures or refused:
        for ws in sockets:
            ws.transport.abort()
        if failures:
            raise RuntimeError(f"{len(failures)} posters failed to connect: {failures[0]!r}")
        raise RuntimeError(f"{len(refused)} posters' session cookies were not accepted")
    return sockets


def _can_post(opening: list[dict[str, Any]]) -> bool:
    """Whether a poster's opening frames say it is logged in and may post."""
    state, history = opening
    return bool(state.get("viewer", {}).get("authenticated") and history.get("can_post"))


async def read_replies(ws: ClientConnection, tally: Tally) -> None:
    """Read a poster's frames: ``ack`` and ``error`` settle its posts, the rest is dropped."""
    try:
        async for raw in ws:
            if not tally.collecting or not isinstance(raw, str) or "fanout-" in raw:
                continue
            frame = json.loads(raw)
            kind, ref = frame.get("type"), frame.get("ref")
            if not isinstance(ref, str) or not ref.isdigit():
                continue
            if kind == "ack":
                tally.accept(int(ref))
            elif kind == "error":
                tally.refuse(int(ref), str(frame.get("code")))
    except ConnectionClosed:
        pass
    tally.lose(f"poster: {ws.close_code} {ws.close_reason}".strip())


async def post_turns(
    ws: ClientConnection, poster: int, posters: int, load: Load, t0: float, tally: Tally
) -> None:
    """Send this poster's share of the schedule: messages poster, poster+P, ..."""
    loop = asyncio.get_running_loop()
    for k in range(poster, load.messages, posters):
        delay = t0 + k / load.rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        text = f"fanout-{k}-{time.time_ns()}"
        frame = {"type": "chat.post", "text": text, "client_id": str(uuid.uuid4()), "ref": str(k)}
        tally.sending(k)
        await ws.send(json.dumps(frame))


async def close_all(sockets: Sequence[ClientConnection | LeanReader]) -> None:
    """Close every socket with a handshake, aborting whatever is left after a while."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def close_one(ws: ClientConnection | LeanReader) -> None:
        async with gate:
            await ws.close()

    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await asyncio.gather(*(close_one(ws) for ws in sockets), return_exceptions=True)
    except TimeoutError:
        for ws in sockets:
            if ws.transport is not None:
                ws.transport.abort()


class Monitor:
    """Samples the servers' memory and logs progress while posts are flowing."""

    def __init__(self, target: Target, tally: Tally, readers: int) -> None:
        self.target = target
        self.tally = tally
        self.readers = readers
        self.peak_rss = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        self.sample()

    def sample(self) -> None:
        with contextlib.suppress(Exception):  # a server died: that shows elsewhere
            self.peak_rss = max(self.peak_rss, servers_rss(self.target.servers))

    async def _run(self) -> None:
        servers, tally = self.target.servers, self.tally
        last_at, last_cpu, last_received = time.perf_counter(), Cpu.now(servers), 0
        next_log = last_at + PROGRESS_EVERY
        while True:
            await asyncio.sleep(SAMPLE_EVERY)
            self.sample()
            now = time.perf_counter()
            if now < next_log:
                continue
            next_log = now + PROGRESS_EVERY
            cpu, received, span = Cpu.now(servers), tally.received, now - last_at
            used = cpu - last_cpu
            acked = f", acknowledged {tally.accepted_count()}" if self.target.acks else ""
            log(
                f"[{self.target.name}] sent {tally.sent}{acked}, "
                f"delivered {received}/{tally.sent * self.readers} "
                f"({(received - last_received) / span:.0f}/s); CPU: server "
                f"{used.server / span:.0%}, client {used.client / span:.0%}, others "
                f"{used.others / span:.0%}; server RSS {self.peak_rss / 2**20:.0f} MiB"
            )
            last_at, last_cpu, last_received = now, cpu, received


def settled(tally: Tally, readers: int, acks: bool) -> bool:
    """Whether every post is settled and every accepted one reached every reader."""
    if acks and tally.resolved < tally.sent:
        return False
    return tally.received >= tally.accepted_count() * readers


async def run_posts(
    target: Target, posters: list[ClientConnection], load: Load, tally: Tally, readers: int
) -> None:
    """Post on schedule, then wait for the deliveries (at most ``DRAIN_TIMEOUT``)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time() + LEAD_IN
    tasks = [
        asyncio.create_task(post_turns(ws, n, len(posters), load, t0, tally))
        for n, ws in enumerate(posters)
    ]
    overran = False
    try:
        async with asyncio.timeout(load.seconds + LEAD_IN + POST_SLACK):
            await asyncio.gather(*tasks)
    except TimeoutError:
        overran = True
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not target.acks:
            for k in range(load.messages):
                if tally.send_times[k]:
                    tally.accept(k, acked=False)
        deadline = loop.time() + DRAIN_TIMEOUT - (time.perf_counter() - tally.last_send)
        # Polling a cheap predicate beats waking an event from thousands of readers.
        while loop.time() < deadline and not settled(tally, readers, target.acks):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        tally.stop()
    if overran:
        raise RuntimeError(f"posting ran {POST_SLACK:.0f} s past its schedule: stopped")


async def measure(target: Target, load: Load, outcome: Outcome) -> None:
    """Connect readers and posters, run the schedule, fill ``outcome``."""
    name, servers = target.name, target.servers
    log(f"[{name}] connecting {load.readers} readers and {load.posters} posters")
    tally = outcome.tally = Tally(load.messages)
    readers, failures, outcome.connect_s = await open_readers(target.endpoints, load.readers, tally)
    outcome.connected = len(readers)
    log(
        f"[{name}] {len(readers)}/{load.readers} readers connected in {outcome.connect_s:.1f} s "
        f"(server RSS {servers_rss(servers) / 2**20:.0f} MiB)"
    )
    if failures:
        outcome.errors.append(
            f"{len(readers)} of {load.readers} readers connected (first failure: {failures[0]!r})"
        )
    posters: list[ClientConnection] = []
    tasks: list[asyncio.Task[None]] = []
    monitor = Monitor(target, tally, len(readers))
    try:
        posters = await open_posters(target)
        extensions = posters[0].response.headers.get("Sec-WebSocket-Extensions") if posters else ""
        log(f"[{name}] posters connected; extensions negotiated: {extensions or 'none'}")
        tasks = [asyncio.create_task(read_replies(ws, tally)) for ws in posters]
        cpu = Cpu.now(servers)
        monitor.start()
        try:
            await run_posts(target, posters, load, tally, len(readers))
        finally:
            outcome.cpu = Cpu.now(servers) - cpu
            log(f"[{name}] {outcome.cpu}")
            await monitor.stop()
            outcome.server_rss = monitor.peak_rss
    except Exception as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        tally.stop()
        report_refusals(tally, outcome)
        report_shortfalls(name, tally, len(readers))
        await close_all([*readers, *posters])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(SETTLE)


def report_shortfalls(name: str, tally: Tally, readers: int) -> None:
    """Log which accepted messages did not reach every reader, and how late they were
    accepted: a message acknowledged just before the end of counting had little time."""
    shortfalls = tally.shortfalls(readers)
    if not shortfalls:
        return
    shown = ", ".join(
        f"#{k} lacked by {missing} (accepted {age:.1f} s before the end)"
        for k, missing, age in shortfalls[:5]
    )
    log(f"[{name}] {len(shortfalls)} messages did not reach every reader: {shown}")


def report_refusals(tally: Tally, outcome: Outcome) -> None:
    """Add what the server refused or dropped to the outcome's errors."""
    if tally.refused:
        codes = ", ".join(f"{code} x{count}" for code, count in sorted(tally.refused.items()))
        outcome.errors.append(f"posts refused: {codes}")
    if tally.dropped:
        outcome.errors.append(
            f"server closed {len(tally.dropped)} sockets (first: {tally.dropped[0]})"
        )


# -- servers ---------------------------------------------------------------------------


class CommandServer(Server):
    """A baseline server: any command line that serves on ``port`` and answers ``GET /``."""

    def __init__(self, kind: str, var_dir: Path, command: Callable[[int], list[str]]) -> None:
        super().__init__(kind, var_dir)
        self._command = command

    def command(self) -> list[str]:
        return self._command(self.port)


def tutorial_command(port: int) -> list[str]:
    return [
        str(BIN / "uvicorn"), "tutorial_asgi:application",
        "--app-dir", str(ROOT / "bench" / "baselines"),
        "--host", HOST, "--port", str(port), "--loop", "uvloop",
        "--ws-per-message-deflate", "false", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def ceiling_command(port: int) -> list[str]:
    script = ROOT / "bench" / "baselines" / "ceiling_server.py"
    return [sys.executable, str(script), "--host", HOST, "--port", str(port)]


def notable_lines(server: Server) -> list[str]:
    """The server's log without uvicorn's routine ``INFO:`` lines."""
    return [line for line in server.log_lines() if not line.startswith("INFO:")]


def digest(lines: Sequence[str], most: int = 10) -> list[str]:
    """The log's unindented lines (headlines, exception messages), counted, most
    frequent first: a traceback repeated for 2,000 sockets reads as one line."""
    counts: dict[str, int] = {}
    for line in lines:
        if line and not line[0].isspace():
            counts[line] = counts.get(line, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [f"{count} x {line}" for line, count in ranked[:most]]


def run_target(target: Target, load: Load) -> tuple[dict[str, Any], bool]:
    """Start the target's servers, measure, stop them; return the summary and whether
    a server logged something worth keeping."""
    outcome = Outcome(clients=load.readers)
    try:
        for server in target.servers:
            log(f"[{target.name}] starting {server.kind} on port {server.port}")
            server.start()
        uvloop.run(measure(target, load, outcome))
    except Exception as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        for server in target.servers:
            server.stop()
    logged = False
    for server in target.servers:
        lines = notable_lines(server)
        if lines:
            logged = True
            log(f"[{target.name}] server log {server.log_path}: {len(lines)} lines; headlines:")
            for line in digest(lines):
                log(f"[{target.name}]   {line}")
    summary = outcome.summary()
    log(f"[{target.name}] {json.dumps(summary)}")
    return summary, logged or "error" in summary


def finish(var_dir: Path, keep: bool) -> None:
    if keep:
        log(f"keeping {var_dir} for its logs")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


def product_target(
    name: str, servers: Sequence[Server], session_id: int, cookies: list[str]
) -> Target:
    """The session socket of ``session_id`` on each server; posters log in by cookie."""
    endpoints = tuple(
        Endpoint(
            url=f"{server.ws_base}/ws/sessions/{session_id}/",
            origin=server.origin,
            opening=("session.state", "chat.history"),
        )
        for server in servers
    )
    return Target(name, tuple(servers), endpoints, tuple(cookies), acks=True)


def bench_plenary(load: Load) -> dict[str, Any]:
    """The product, one process, embedded default (SQLite, in-process bus)."""
    var_dir = prepare_environment(scaled=False)
    log(f"[plenary] var dir {var_dir}; migrating SQLite")
    keep = False  # set by run_target: a server logged something, or the run failed
    try:
        migrate()
        session_id, cookies = make_fixtures(load.posters)
        target = product_target("plenary", [Server("uvicorn", var_dir)], session_id, cookies)
        summary, keep = run_target(target, load)
        return summary
    finally:
        finish(var_dir, keep)


def bench_plenary_2proc(load: Load) -> dict[str, Any]:
    """The product, two processes sharing a fresh PostgreSQL database and Redis."""
    check_redis(REDIS_URL)
    database = f"bench_chat_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {database}")
    log(f"[plenary_2proc] created database {database}")
    os.environ["DATABASE_URL"] = POSTGRES_URL.format(name=database)
    os.environ["REDIS_URL"] = REDIS_URL
    var_dir = prepare_environment(scaled=True)
    keep = False  # set by run_target: a server logged something, or the run failed
    try:
        log(f"[plenary_2proc] var dir {var_dir}; migrating PostgreSQL")
        migrate()
        session_id, cookies = make_fixtures(load.posters)
        servers = [Server("uvicorn", var_dir), Server("uvicorn", var_dir)]
        target = product_target("plenary_2proc", servers, session_id, cookies)
        summary, keep = run_target(target, load)
        return summary
    finally:
        for variable in ("DATABASE_URL", "REDIS_URL"):
            os.environ.pop(variable, None)
        finish(var_dir, keep)
        try:
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            log(f"[plenary_2proc] dropped database {database}")
        except Exception as exc:
            log(f"[plenary_2proc] could not drop database {database}: {exc}")


def psql(statement: str) -> None:
    done = subprocess.run(
        [*POSTGRES_ADMIN, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql {statement!r}: {done.stderr.strip() or done.returncode}")


def check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.ping()
    finally:
        client.close()


def bench_baseline(
    name: str, command: Callable[[int], list[str]], path: str, load: Load
) -> dict[str, Any]:
    """A baseline server: anonymous posters, no acknowledgements, no opening frames."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"chat-fanout-{name}-"))
    keep = False  # set by run_target: a server logged something, or the run failed
    try:
        server = CommandServer(name, var_dir, command)
        endpoint = Endpoint(url=f"{server.ws_base}{path}", origin=server.origin)
        target = Target(name, (server,), (endpoint,), (None,) * load.posters, acks=False)
        summary, keep = run_target(target, load)
        return summary
    finally:
        finish(var_dir, keep)


def guarded(name: str, run: Callable[[], dict[str, Any]], clients: int) -> dict[str, Any]:
    """Run one target; a failure becomes an ``error`` entry and the run carries on."""
    try:
        return run()
    except Exception as exc:
        log(f"[{name}] failed: {exc!r}")
        return {"clients": clients, "error": f"{type(exc).__name__}: {exc}"}


# -- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=2000, help="reader sockets (2000)")
    parser.add_argument("--rate", type=float, default=25.0, help="posts per second in all (25)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of posting (20)")
    parser.add_argument(
        "--no-scaled",
        action="store_true",
        help="skip the two-process run on PostgreSQL and Redis",
    )
    parser.add_argument("--fixtures", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fixtures is None and (args.clients < 1 or args.rate <= 0 or args.seconds <= 0):
        parser.error("--clients, --rate and --seconds must be positive")
    return args


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.fixtures is not None:
        print(json.dumps(create_fixtures(args.fixtures)), flush=True)
        return
    # A SIGTERM unwinds like Ctrl-C, so servers stop and the bench database goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    limit = raise_open_files_limit()
    needed = args.clients * (1 if args.no_scaled else 2) + 200
    if needed > limit:
        log(f"warning: about {needed} sockets at once but the open files limit is {limit}")
    posters = max(1, math.ceil(args.rate / MAX_POSTS_PER_POSTER_S))
    load = Load(readers=args.clients, posters=posters, rate=args.rate, seconds=args.seconds)
    log(
        f"{load.readers} readers, {posters} posters, {load.rate:g} posts/s for {load.seconds:g} s "
        f"({load.messages} posts); open files limit {limit}"
    )
    plenary = guarded("plenary", lambda: bench_plenary(load), load.readers)
    baselines: dict[str, dict[str, Any]] = {}
    if not args.no_scaled:
        doubled = Load(2 * load.readers, load.posters, load.rate, load.seconds)
        scaled = guarded("plenary_2proc", lambda: bench_plenary_2proc(doubled), doubled.readers)
        one, two = plenary.get("throughput_per_s"), scaled.get("throughput_per_s")
        scaled["ratio_vs_1proc"] = rounded(two / one) if one and two is not None else None
        baselines["plenary_2proc"] = scaled
    baselines["ceiling"] = guarded(
        "ceiling", lambda: bench_baseline("ceiling", ceiling_command, "/", load), load.readers
    )
    baselines["tutorial"] = guarded(
        "tutorial",
        lambda: bench_baseline("tutorial", tutorial_command, "/ws/chat/", load),
        load.readers,
    )
    emit(
        {
            "bench": "chat_fanout",
            "clients": load.readers,
            "rate_per_s": _number(load.rate),
            "seconds": _number(load.seconds),
            **{key: value for key, value in plenary.items() if key != "clients"},
            "baselines": {
                name: baselines[name]
                for name in ("tutorial", "ceiling", "plenary_2proc")
                if name in baselines
            },
        }
    )


if __name__ == "__main__":
    main()
