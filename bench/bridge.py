"""Hashtag bridge: posts on the stand-in's Mastodon and Bluesky, shown to N readers.

Run: ``.venv/bin/python bench/bridge.py [--clients N] [--rate R] [--seconds S]``
(defaults: N=2000, R=10, S=20). Progress goes to stderr; the last line of stdout
is one JSON object. The run stops by itself, talks only to 127.0.0.1 and cleans
up after itself.

What runs: the stand-in (``python -m tests.standin``) and the product as ``make
run`` serves it (``livechat.bridge.serve``: Uvicorn, uvloop, the bridge on the
server's event loop), on its embedded default (SQLite in a fresh
``PLENARY_VAR_DIR``, in-process bus). One event with a scheduled session and a
bridge to the stand-in that lets imported posts straight into the room
(``imports=chat``, open chat), so what is measured is the bridge's path, not a
moderator's speed. N anonymous readers (``LeanReader`` from
``bench/chat_fanout.py``) open ``/ws/sessions/<id>/`` and wait for their opening
frames. Then this process posts R posts/s for S seconds through the stand-in's
control plane, alternating Mastodon (a status on the hashtag's SSE stream) and
Bluesky (a Jetstream event with a tag facet), each post's text ``fanout-<k>-<ns>
#assmednum``; the time just before the control request is the post's time.

The numbers:

``p50_ms`` / ``p99_ms``
    From the post on the stand-in to a reader's read loop getting the
    ``chat.message`` carrying it: the stand-in's stream, the bridge's client,
    ``import_post`` (moderation checks, the transaction, the room log), the hub
    and every socket. Same process, same clock; the load generator, the
    stand-in and the server share the machine's cores.
``lost``
    Posts made x readers, minus deliveries received by 10 s after the last post.
``throughput_per_s``
    Deliveries received per second, from the first post to the last delivery.
``ingested_per_s``
    Posts stored in the chat per second, from the first post to the last one
    stored (read from the database after the run); ``ingested`` how many.
``mastodon_p99_ms`` / ``bluesky_p99_ms``
    The p99 of each network's posts alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop
from _common import (
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
from chat_fanout import DRAIN_TIMEOUT, Endpoint, Tally, close_all, open_readers

HASHTAG = "assmednum"


class BridgedServer(Server):
    """What ``make run`` serves: the application with the bridge inside."""

    def command(self) -> list[str]:
        from livechat.bridge.serve import BRIDGED_APPLICATION
        from plenary.server import APPLICATION

        return [BRIDGED_APPLICATION if p == APPLICATION else p for p in super().command()]


class StandInProcess:
    def __init__(self, var_dir: Path) -> None:
        from _common import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "standin.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.standin", "--port", str(self.port)],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the stand-in did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def create_fixtures(standin: str) -> dict[str, Any]:
    """An event (#assmednum) with a session on now and its bridge to ``standin``."""
    setup_django()
    from django.utils import timezone

    from assemblies.models import Event, Organisation, Session
    from livechat.bridge import secrets as sealed
    from livechat.models import BridgeSettings

    tag = secrets.token_hex(4)
    organisation = Organisation.objects.create(name="Bench town", slug=f"bench-{tag}")
    event = Event.objects.create(
        organisation=organisation, title="Bridge bench", slug=f"bench-{tag}", hashtag=HASHTAG
    )
    now = timezone.now()
    session = Session.objects.create(
        event=event, title="Bridge bench", starts_at=now, ends_at=now + timedelta(hours=3)
    )
    BridgeSettings.objects.create(
        event=event,
        enabled=True,
        imports=BridgeSettings.Imports.CHAT,
        mastodon_instance=standin,
        mastodon_token=sealed.seal("standin-token"),
        bluesky_pds=standin,
        jetstream_url=standin.replace("http", "ws", 1) + "/subscribe",
    )
    return {"session_id": session.pk, "event_id": event.pk}


def fixtures(standin: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--fixtures", standin],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fixtures failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def stored_times(session_id: int) -> list[float]:
    """When each imported post was stored (epoch seconds), read in a subprocess."""
    done = subprocess.run(
        [sys.executable, __file__, "--stored", str(session_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def read_stored(session_id: int) -> list[float]:
    setup_django()
    from livechat.models import Message

    return [
        m.timestamp()
        for m in Message.objects.filter(session_id=session_id)
        .exclude(network="")
        .values_list("created_at", flat=True)
    ]


async def wait_connected(standin: str) -> None:
    async with httpx.AsyncClient(base_url=standin) as client:
        for _ in range(300):
            state = (await client.get("/control/state")).json()
            if state["connections"]["mastodon"] and state["connections"]["jetstream"]:
                return
            await asyncio.sleep(0.1)
    raise RuntimeError("the bridge did not connect to the stand-in")


async def measure(
    args: argparse.Namespace, server: Server, standin: str, session_id: int
) -> dict[str, Any]:
    messages = max(1, round(args.rate * args.seconds))
    tally = Tally(messages)
    endpoint = Endpoint(
        url=f"{server.ws_base}/ws/sessions/{session_id}/",
        origin=server.origin,
        opening=("session.state", "chat.history"),
    )
    await wait_connected(standin)
    log(f"bridge connected; opening {args.clients} readers")
    readers, failures, connect_s = await open_readers([endpoint], args.clients, tally)
    log(f"{len(readers)} readers in {connect_s:.1f} s ({len(failures)} failed)")
    networks: list[str] = []
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=standin, timeout=10) as client:
        t0 = loop.time() + 0.5
        for k in range(messages):
            await asyncio.sleep(max(0.0, t0 + k / args.rate - loop.time()))
            text = f"fanout-{k}-{time.time_ns()} #{HASHTAG}"
            tally.sending(k)
            tally.accept(k, acked=False)
            if k % 2 == 0:
                networks.append("mastodon")
                await client.post("/control/mastodon/statuses", json={"text": text})
            else:
                networks.append("bluesky")
                await client.post(
                    "/control/bluesky/posts", json={"text": text, "did": "did:plc:bench"}
                )
    deadline = loop.time() + DRAIN_TIMEOUT
    while loop.time() < deadline and tally.received < messages * len(readers):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    tally.stop()
    await close_all(readers)
    latencies = tally.delivered()
    span = tally.last_delivery - tally.first_send
    per_network = {
        name: [x for k in range(messages) if networks[k] == name for x in tally.latencies[k]]
        for name in ("mastodon", "bluesky")
    }
    return {
        "clients": args.clients,
        "connected": len(readers),
        "p50_ms": rounded(_ms(percentile(latencies, 0.5))),
        "p99_ms": rounded(_ms(percentile(latencies, 0.99))),
        "lost": messages * len(readers) - len(latencies),
        "throughput_per_s": rounded(len(latencies) / span if latencies and span > 0 else 0.0),
        "posted": messages,
        "rate_per_s": args.rate,
        "mastodon_p99_ms": rounded(_ms(percentile(per_network["mastodon"], 0.99))),
        "bluesky_p99_ms": rounded(_ms(percentile(per_network["bluesky"], 0.99))),
        "connect_s": rounded(connect_s),
        "first_post_epoch": time.time() - (time.perf_counter() - tally.first_send),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second (10)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fixtures", help=argparse.SUPPRESS)
    parser.add_argument("--stored", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fixtures:
        print(json.dumps(create_fixtures(args.fixtures)))
        return
    if args.stored is not None:
        print(json.dumps(read_stored(args.stored)))
        return
    raise_open_files_limit()
    var_dir = prepare_environment(scaled=False)
    standin = StandInProcess(var_dir)
    server = BridgedServer("uvicorn", var_dir)
    keep = False
    result: dict[str, Any] = {"bench": "bridge", "clients": args.clients}
    try:
        migrate()
        standin.start()
        found = fixtures(standin.url)
        server.start()
        result |= uvloop.run(measure(args, server, standin.url, found["session_id"]))
        stored = sorted(stored_times(found["session_id"]))
        first = result.pop("first_post_epoch")
        result["ingested"] = len(stored)
        result["ingested_per_s"] = (
            rounded(len(stored) / (stored[-1] - first)) if stored and stored[-1] > first else None
        )
    except Exception as exc:
        keep = True
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        server.stop()
        standin.stop()
        notable = [line for line in server.log_lines() if not line.startswith("INFO:")]
        if notable:
            keep = True
            log(f"server log {server.log_path}: {len(notable)} notable lines, e.g. {notable[:3]}")
        if keep:
            log(f"keeping {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    emit(result)


if __name__ == "__main__":
    main()
