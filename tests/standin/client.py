"""Start the stand-in in its own process and drive its control plane (for tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


class StandIn:
    """``python -m tests.standin`` on a free loopback port."""

    def __init__(self, *, heartbeat: float = 15.0, log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.heartbeat = heartbeat
        self.log = log or ROOT / "var" / f"standin-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def start(self, timeout: float = 20.0) -> StandIn:
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.standin",
                    "--port",
                    str(self.port),
                    "--heartbeat",
                    str(self.heartbeat),
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"stand-in exited:\n{self.log.read_text()}")
            try:
                if self.http.get("/").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("stand-in did not answer")

    def stop(self) -> None:
        self.http.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    # -- control plane -----------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def toot(self, text: str = "", **fields: Any) -> dict[str, Any]:
        """Post a Mastodon status (``content`` gives raw HTML instead of ``text``)."""
        return dict(self._post("/control/mastodon/statuses", {"text": text, **fields}))

    def skeet(self, text: str, **fields: Any) -> dict[str, Any]:
        """Post on Bluesky: the Jetstream event it makes."""
        return dict(self._post("/control/bluesky/posts", {"text": text, **fields}))

    def edit_toot(self, status_id: str, text: str, **fields: Any) -> dict[str, Any]:
        """Edit a status: ``status.update`` on its tags' streams."""
        return dict(self._post("/control/mastodon/edit", {"id": status_id, "text": text, **fields}))

    def delete_toot(self, status_id: str) -> None:
        """Delete a status: ``delete`` (its id) on its tags' streams."""
        self._post("/control/mastodon/delete", {"id": status_id})

    def edit_skeet(self, uri: str, text: str, **fields: Any) -> dict[str, Any]:
        """Put a new version of a Bluesky post: an ``update`` commit on Jetstream."""
        return dict(self._post("/control/bluesky/update", {"uri": uri, "text": text, **fields}))

    def delete_skeet(self, uri: str) -> dict[str, Any]:
        """Delete a Bluesky post: a ``delete`` commit on Jetstream."""
        return dict(self._post("/control/bluesky/delete", {"uri": uri}))

    def fault(self, kind: str, **fields: Any) -> None:
        self._post("/control/faults", {"kind": kind, **fields})

    def expire_bluesky_tokens(self, *kinds: str) -> None:
        self._post("/control/bluesky/expire", {"kinds": list(kinds or ["access"])})

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/control/state").json())

    def wait_for(self, check: Any, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check(self.state())
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("the stand-in never reached the expected state")
