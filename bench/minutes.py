"""Minutes sync: E editors inserting at random places, R readers, on one document.

Run: ``.venv/bin/python bench/minutes.py [--editors E] [--inserts N] [--rate R]
[--quick]`` (defaults: the issue's two loads, 20 editors x 100 inserts at 5/s, then
10 editors + 50 readers). Progress goes to stderr; the last line of stdout is one
JSON object. Talks only to 127.0.0.1 and cleans up after itself.

What runs, side by side in one run, with the same clients and the same load:

``plenary`` (the top-level keys; ``readers_load`` for the second load)
    The product as served (``plenary.server``: uvicorn, uvloop), one process on its
    embedded default (SQLite in a fresh temporary ``PLENARY_VAR_DIR``), the session's
    minutes at ``/ws/minutes/<id>/``. Editors are note-takers (one Django session
    each); readers are anonymous.
``baselines.reference``
    The reference server, y-websocket 2.1's ``bin/server.cjs`` from
    ``frontend/node_modules``, on Node, in memory (no persistence).

The clients are Python y-websocket clients on pycrdt (``MinutesClient``), all in
this process on one uvloop event loop. A seeding client first appends a paragraph;
then every editor inserts ``e<i>n<k>`` at a random place in that paragraph's text,
``rate`` times a second, on a schedule with a random phase per editor. An insert by
editor i is delivered to a client when that client's state vector reaches the
insert's last clock for i's client id.

``p50_ms`` / ``p99_ms``
    From an insert's send to its arrival at each other client (editors and
    readers), over every delivery received. Same process, same clock.
``lost``
    Inserts x (clients - 1) minus the deliveries received within 10 s of the last
    send.
``throughput_per_s``
    Deliveries received divided by the time from the first send to the last
    delivery.
``converged``
    After the drain, every client's document (and, for plenary, a fresh client's)
    is the same.
``server_cpu_s`` / ``server_rss_mib``
    CPU seconds of the server process while inserting and draining; its largest
    resident memory (sampled every 0.5 s).
``cold_join``
    ``--cold`` readers (300) opening a cold document at the same moment: how many
    synced, and seconds until the last one had the document.
``large_document``
    A document of about 1 MB (written in 32 KB updates), then one new client:
    milliseconds from its connection to its synced document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import uvloop
from _common import (
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
from pycrdt import Doc, TransactionEvent, XmlElement, XmlFragment, XmlText
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

sys.path.insert(0, str(ROOT))
from minutes import protocol

NODE_SERVER = ROOT / "frontend" / "node_modules" / "y-websocket" / "bin" / "server.cjs"
DRAIN_TIMEOUT = 10.0
CONNECT_TIMEOUT = 60.0
IN_FLIGHT = 100
LEAD_IN = 1.0


# -- fixtures (Django ORM, in a subprocess) ----------------------------------------------


def create_fixtures(editors: int, sessions: int) -> dict[str, Any]:
    """Create ``sessions`` sessions and ``editors`` note-takers with session cookies."""
    setup_django()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from assemblies.models import AgendaItem, Body, Organisation, Role, Session

    tag = secrets.token_hex(4)
    organisation = Organisation.objects.create(name="Bench town", slug=f"bench-{tag}")
    body = Body.objects.create(
        organisation=organisation,
        name="Bench committee",
        slug=f"bench-{tag}",
        kind=Body.Kind.NEIGHBOURHOOD_COMMITTEE,
    )
    now = timezone.now()
    ids = []
    for n in range(sessions):
        session = Session.objects.create(
            body=body,
            title=f"Minutes bench {n}",
            starts_at=now,
            ends_at=now + timedelta(hours=3),
        )
        for position in (1, 2, 3):
            AgendaItem.objects.create(session=session, position=position, title=f"Point {position}")
        ids.append(session.pk)
    name = settings.SESSION_COOKIE_NAME
    cookies = []
    for n in range(editors):
        user = User(username=f"editor-{tag}-{n}", display_name=f"Editor {n}")
        user.set_unusable_password()
        user.save()
        Role.objects.create(user=user, kind=Role.Kind.NOTE_TAKER, body=body)
        client = Client()
        client.force_login(user)
        cookies.append(f"{name}={client.cookies[name].value}")
    close_db_connections()
    return {"sessions": ids, "cookies": cookies}


def make_fixtures(editors: int, sessions: int) -> tuple[list[int], list[str]]:
    done = subprocess.run(
        [sys.executable, __file__, "--fixtures", f"{editors},{sessions}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fixtures failed: {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return list(data["sessions"]), list(data["cookies"])


# -- clients -------------------------------------------------------------------------------


@dataclass
class Tally:
    clients: int
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    first_send: float = 0.0
    last_send: float = 0.0
    last_delivery: float = 0.0
    inserts: dict[int, list[tuple[int, float]]] = field(default_factory=dict)

    def expected(self) -> int:
        return self.sent * (self.clients - 1)


class MinutesClient:
    """A y-websocket client on pycrdt that times the arrival of others' inserts."""

    def __init__(self, ws: ClientConnection, tally: Tally | None) -> None:
        self.ws = ws
        self.tally = tally
        self.doc: Doc = Doc()
        self.fragment = self.doc.get("default", type=XmlFragment)
        self.synced = asyncio.Event()
        self.seen: dict[int, int] = {}  # author client id -> clock reached
        self.cursor: dict[int, int] = {}  # author client id -> index into tally.inserts
        self.reader: asyncio.Task[None] | None = None
        self.applying = False
        self.outgoing: list[bytes] = []
        self.subscription = self.doc.observe(self._local)
        self.closed_with: int | None = None

    @classmethod
    async def open(
        cls, url: str, origin: str, cookie: str | None, tally: Tally | None
    ) -> MinutesClient:
        ws = await connect(
            url,
            origin=Origin(origin),
            additional_headers={"Cookie": cookie} if cookie else None,
            open_timeout=CONNECT_TIMEOUT,
            ping_interval=None,
            max_size=None,
            compression=None,
            proxy=None,
        )
        client = cls(ws, tally)
        client.reader = asyncio.create_task(client._read())
        await ws.send(protocol.encode_sync_step1(client.doc.get_state()))
        return client

    def _local(self, event: TransactionEvent) -> None:
        if not self.applying:
            self.outgoing.append(event.update)

    async def flush(self) -> None:
        updates, self.outgoing = self.outgoing, []
        for update in updates:
            await self.ws.send(protocol.encode_update(update))

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    continue
                message = protocol.decode_message(data)
                if isinstance(message, protocol.SyncStep1):
                    await self.ws.send(
                        protocol.encode_sync_step2(self.doc.get_update(message.state_vector))
                    )
                elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                    self.applying = True
                    try:
                        self.doc.apply_update(message.update)
                    finally:
                        self.applying = False
                    if isinstance(message, protocol.SyncStep2):
                        self.synced.set()
                    self._arrivals(time.perf_counter())
        except ConnectionClosed as exc:
            self.closed_with = exc.rcvd.code if exc.rcvd else 1006

    def _arrivals(self, at: float) -> None:
        tally = self.tally
        if tally is None or not tally.inserts:
            return
        state = protocol.decode_state_vector(self.doc.get_state())
        for author, clock in state.items():
            if author == self.doc.client_id:
                continue  # one's own inserts are not deliveries
            pending = tally.inserts.get(author)
            if pending is None or clock <= self.seen.get(author, 0):
                continue
            self.seen[author] = clock
            index = self.cursor.get(author, 0)
            while index < len(pending) and pending[index][0] <= clock:
                tally.latencies.append(at - pending[index][1])
                tally.last_delivery = at
                index += 1
            self.cursor[author] = index

    def paragraph_text(self) -> XmlText:
        element = self.fragment.children[len(self.fragment.children) - 1]
        return element.children[0]

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def open_clients(
    url: str, origin: str, cookies: Sequence[str | None], tally: Tally | None
) -> list[MinutesClient]:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(cookie: str | None) -> MinutesClient:
        async with gate:
            client = await MinutesClient.open(url, origin, cookie, tally)
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await client.synced.wait()
            return client

    return list(await asyncio.gather(*(one(c) for c in cookies)))


# -- one measurement -----------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    editors: int
    readers: int
    inserts: int
    rate: float


async def measure(
    server: Server, url: str, cookies: Sequence[str | None], load: Load, fresh_url: str | None
) -> dict[str, Any]:
    """Connect, seed, insert on schedule, drain, compare documents."""
    origin = server.origin
    clients_total = load.editors + load.readers
    tally = Tally(clients_total)
    seeder = await MinutesClient.open(url, origin, cookies[0], None)
    async with asyncio.timeout(CONNECT_TIMEOUT):
        await seeder.synced.wait()
    seeder.fragment.children.append(XmlElement("paragraph", None, [XmlText("seed ")]))
    await seeder.flush()
    await asyncio.sleep(0.5)
    editors = await open_clients(url, origin, cookies[: load.editors], tally)
    readers = await open_clients(url, origin, [None] * load.readers, tally)
    everyone = editors + readers
    await asyncio.sleep(0.5)
    if not all(len(c.fragment.children) and "seed" in str(c.fragment) for c in everyone):
        raise RuntimeError("the seed paragraph did not reach every client")
    log(f"[{server.kind}] {len(editors)} editors and {len(readers)} readers synced")

    cpu0 = server.cpu_seconds()
    peak_rss = server.rss()
    loop = asyncio.get_running_loop()
    t0 = loop.time() + LEAD_IN
    rng = random.Random(7)

    async def edit(index: int, client: MinutesClient) -> None:
        phase = rng.random() / load.rate
        for n in range(load.inserts):
            delay = t0 + phase + n / load.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            text = client.paragraph_text()
            client.paragraph_text().insert(rng.randrange(len(text) + 1), f"e{index}n{n} ")
            end = protocol.decode_state_vector(client.doc.get_state())[client.doc.client_id]
            now = time.perf_counter()
            tally.inserts.setdefault(client.doc.client_id, []).append((end, now))
            tally.first_send = tally.first_send or now
            tally.last_send = now
            tally.sent += 1
            await client.flush()

    async def sample() -> None:
        nonlocal peak_rss
        while True:
            await asyncio.sleep(0.5)
            peak_rss = max(peak_rss, server.rss())

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(edit(i, c) for i, c in enumerate(editors)))
    deadline = time.perf_counter() + DRAIN_TIMEOUT
    # Polling a cheap predicate beats waking an event from every client's reader.
    while time.perf_counter() < deadline and len(tally.latencies) < tally.expected():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    cpu = server.cpu_seconds() - cpu0
    sampler.cancel()
    await asyncio.sleep(0.5)
    documents = {str(c.fragment) for c in everyone}
    if fresh_url is not None:
        fresh = await MinutesClient.open(fresh_url, origin, None, None)
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await fresh.synced.wait()
        documents.add(str(fresh.fragment))
        await fresh.close()
    closed = [c.closed_with for c in everyone if c.closed_with is not None]
    for client in [seeder, *everyone]:
        await client.close()
    latencies = tally.latencies
    span = (tally.last_delivery - tally.first_send) if latencies else 0.0
    result: dict[str, Any] = {
        "clients": clients_total,
        "editors": load.editors,
        "readers": load.readers,
        "p50_ms": rounded(_ms(percentile(latencies, 0.5))),
        "p99_ms": rounded(_ms(percentile(latencies, 0.99))),
        "lost": tally.expected() - len(latencies),
        "throughput_per_s": rounded(len(latencies) / span if span else 0.0),
        "converged": len(documents) == 1,
        "inserts": tally.sent,
        "server_cpu_s": rounded(cpu),
        "server_rss_mib": rounded(peak_rss / 2**20),
    }
    if closed:
        result["error"] = f"server closed {len(closed)} sockets (first code {closed[0]})"
    return result


async def cold_join(server: Server, url: str, readers: int) -> dict[str, Any]:
    """``readers`` clients open a cold document at the same moment."""
    started = time.perf_counter()

    async def one() -> float:
        client = await MinutesClient.open(url, server.origin, None, None)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await client.synced.wait()
            return time.perf_counter() - started
        finally:
            await client.close()

    outcomes = await asyncio.gather(*(one() for _ in range(readers)), return_exceptions=True)
    times = [o for o in outcomes if isinstance(o, float)]
    return {"readers": readers, "synced": len(times), "last_s": rounded(max(times, default=0), 3)}


async def large_document(server: Server, url: str, cookie: str | None) -> dict[str, Any]:
    """Write about 1 MB, then time a new client's sync."""
    writer = await MinutesClient.open(url, server.origin, cookie, None)
    async with asyncio.timeout(CONNECT_TIMEOUT):
        await writer.synced.wait()
    writer.fragment.children.append(XmlElement("paragraph", None, [XmlText("")]))
    await writer.flush()
    chunk = "Le conseil a délibéré. " * 1400  # about 32 KB
    for _ in range(32):
        text = writer.paragraph_text()
        text.insert(len(text), chunk)
        await writer.flush()
        await asyncio.sleep(0.02)
    await asyncio.sleep(1.0)
    size = len(writer.doc.get_update())
    started = time.perf_counter()
    reader = await MinutesClient.open(url, server.origin, None, None)
    async with asyncio.timeout(CONNECT_TIMEOUT):
        await reader.synced.wait()
    elapsed = time.perf_counter() - started
    complete = str(reader.fragment) == str(writer.fragment)
    await reader.close()
    await writer.close()
    return {"bytes": size, "sync_ms": rounded(elapsed * 1000), "complete": complete}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


# -- servers -------------------------------------------------------------------------------


class NodeServer(Server):
    """y-websocket 2.1's reference server (bin/server.cjs), in memory."""

    def command(self) -> list[str]:
        return ["node", str(NODE_SERVER)]

    def start(self, timeout: float = 60.0) -> None:
        import os

        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)},
            )
        deadline = time.monotonic() + timeout
        from _common import http_status

        while time.monotonic() < deadline:
            try:
                if http_status(self.port) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the y-websocket server did not start")


def run_all(args: argparse.Namespace, loads: list[Load]) -> dict[str, Any]:
    var_dir = prepare_environment(scaled=False)
    results: dict[str, Any] = {"plenary": [], "reference": []}
    keep = False
    try:
        log(f"var dir {var_dir}; migrating SQLite")
        migrate()
        editors = max(load.editors for load in loads)
        # one session per load, one for the cold join, one for the large document
        sessions, cookies = make_fixtures(editors, len(loads) + 2)
        plenary = Server("uvicorn", var_dir)
        node = NodeServer("node", var_dir)
        for server in (plenary, node):
            server.start()
        try:
            for n, load in enumerate(loads):
                for server, name in ((plenary, "plenary"), (node, "reference")):
                    if name == "plenary":
                        url = f"{server.ws_base}/ws/minutes/{sessions[n]}/"
                        fresh: str | None = url
                        load_cookies: list[str | None] = list(cookies)
                    else:
                        url = f"{server.ws_base}/minutes-{n}"
                        fresh = url
                        load_cookies = [None] * len(cookies)
                    log(f"[{name}] load {load}")
                    try:
                        outcome = uvloop.run(measure(server, url, load_cookies, load, fresh))
                    except Exception as exc:
                        outcome = {"clients": load.editors + load.readers, "error": repr(exc)}
                        keep = True
                    log(f"[{name}] {json.dumps(outcome)}")
                    results[name].append(outcome)
            for server, name, path in (
                (plenary, "plenary", f"/ws/minutes/{sessions[-2]}/"),
                (node, "reference", "/cold"),
            ):
                cold = uvloop.run(cold_join(server, server.ws_base + path, args.cold))
                log(f"[{name}] cold join: {cold}")
                results[f"{name}_cold"] = cold
            for server, name, path, cookie in (
                (plenary, "plenary", f"/ws/minutes/{sessions[-1]}/", cookies[0]),
                (node, "reference", "/large", None),
            ):
                large = uvloop.run(large_document(server, server.ws_base + path, cookie))
                log(f"[{name}] large document: {large}")
                results[f"{name}_large"] = large
        finally:
            for server in (plenary, node):
                server.stop()
            for server in (plenary, node):
                lines = [
                    line
                    for line in server.log_lines()
                    if not line.startswith(("INFO:", "running at"))
                ]
                if lines:
                    keep = True
                    log(f"[{server.kind}] log {server.log_path}: {lines[-5:]}")
    finally:
        if keep:
            log(f"keeping {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--inserts", type=int, default=100, help="inserts per editor")
    parser.add_argument("--rate", type=float, default=5.0, help="inserts per second per editor")
    parser.add_argument("--cold", type=int, default=300, help="readers joining a cold document")
    parser.add_argument("--quick", action="store_true", help="a short run (10 inserts each)")
    parser.add_argument("--fixtures", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.fixtures is not None:
        editors, sessions = (int(x) for x in args.fixtures.split(","))
        print(json.dumps(create_fixtures(editors, sessions)), flush=True)
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    raise_open_files_limit()
    if shutil.which("node") is None or not NODE_SERVER.exists():
        raise SystemExit("needs Node and frontend/node_modules (make setup runs npm ci)")
    inserts = 10 if args.quick else args.inserts
    loads = [
        Load(editors=args.editors, readers=0, inserts=inserts, rate=args.rate),
        Load(editors=10, readers=50, inserts=inserts, rate=args.rate),
    ]
    results = run_all(args, loads)
    first, second = results["plenary"][0], results["plenary"][1]
    emit(
        {
            "bench": "minutes",
            **first,
            "inserts_per_editor": inserts,
            "rate_per_s": args.rate,
            "baselines": {"reference": results["reference"][0]},
            "readers_load": {
                **second,
                "baselines": {"reference": results["reference"][1]},
            },
            "cold_join": {
                "plenary": results["plenary_cold"],
                "reference": results["reference_cold"],
            },
            "large_document": {
                "plenary": results["plenary_large"],
                "reference": results["reference_large"],
            },
        }
    )


if __name__ == "__main__":
    main()
