"""Helpers shared by the benchmarks in ``bench/``: environment, servers, numbers.

A benchmark runs against a throw-away ``PLENARY_VAR_DIR`` (SQLite database and
secret key), migrated before anything else, and starts real ASGI servers
(``uvicorn`` and ``daphne``) as subprocesses on free loopback ports. Nothing here
talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from plenary.server import server_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SERVERS = ("uvicorn", "daphne")
#: Variables that switch the app from the embedded default to its scaled setup.
SCALED_VARIABLES = ("DATABASE_URL", "REDIS_URL")


def log(message: str) -> None:
    """Print a progress line to stderr (stdout is kept for the JSON result)."""
    # UTC: once Django is set up, the local zone is the project's TIME_ZONE.
    print(
        f"[bench {time.strftime('%H:%M:%SZ', time.gmtime())}] {message}",
        file=sys.stderr,
        flush=True,
    )


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def prepare_environment(*, scaled: bool) -> Path:
    """Export a fresh ``PLENARY_VAR_DIR`` and choose embedded or scaled mode.

    Without ``scaled``, ``DATABASE_URL`` and ``REDIS_URL`` are removed so that the
    app runs on SQLite in the new directory with the in-process room bus. The app's
    log level defaults to WARNING (``PLENARY_LOG_LEVEL``), so a server log with
    anything in it is worth reading.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="plenary-bench-"))
    os.environ["PLENARY_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "plenary.settings"
    os.environ.setdefault("PLENARY_LOG_LEVEL", "WARNING")
    if not scaled:
        for name in SCALED_VARIABLES:
            os.environ.pop(name, None)
    return var_dir


def migrate() -> None:
    """Run ``manage.py migrate`` on the database the environment points at."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        timeout=300,
    )


def setup_django() -> None:
    """Configure Django in this process; call after ``prepare_environment``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def close_db_connections() -> None:
    """Let go of this process's database connections before a server uses the DB."""
    from django.db import connections

    connections.close_all()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_status(port: int, path: str = "/", timeout: float = 2.0) -> int:
    """GET ``path`` on the loopback server and return the status (no proxy involved)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{HOST}:{port}"})
        return conn.getresponse().status
    finally:
        conn.close()


class Server:
    """``uvicorn`` or ``daphne`` serving ``plenary.asgi:application`` in a subprocess.

    Its output goes to ``<var_dir>/server-<kind>-<port>.log``.
    """

    def __init__(self, kind: str, var_dir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.log_path = var_dir / f"server-{kind}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def command(self) -> list[str]:
        return server_command(self.kind, host=HOST, port=self.port)

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until ``GET /`` answers 200."""
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}")
            try:
                if http_status(self.port) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer GET / with 200 within {timeout:.0f} s")

    def rss(self) -> int:
        """Resident memory of the server process, in bytes."""
        if self.process is None:
            raise RuntimeError("server not running")
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        if self.process is None:
            raise RuntimeError("server not running")
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server, killing it if it does not exit within ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self.process = None

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``values`` (``fraction`` in 0..1); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def emit(result: dict[str, Any]) -> None:
    """Print the benchmark's result as the last line of stdout, as one JSON object."""
    print(json.dumps(result), flush=True)
