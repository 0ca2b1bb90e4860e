"""How Plenary is served: one place for the ASGI server command and its options.

``python -m plenary.server [--host H] [--port P] [--server uvicorn|daphne]`` runs
the server; ``make run``, the live tests and the benchmarks all start it through
``server_command``, so what is measured is what is served.

Uvicorn is the default: on these machines it carried about three times Daphne's
fan-out and accepted sockets faster (see bench/connect.py). Its per-message
deflate is off: measured with 2,000 idle sockets, compression took the server
from 37 to 76 KiB per socket and costs CPU on every frame, while Plenary's frames
are a few hundred bytes of JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
APPLICATION = "plenary.asgi:application"
#: Frames larger than this are refused by the transport (close code 1009), before
#: the application's own, smaller limit answers with an error frame.
MAX_FRAME_BYTES = 64 * 1024


def server_command(
    kind: str = "uvicorn", *, host: str = "127.0.0.1", port: int = 8000
) -> list[str]:
    """Return the command line that serves the app with ``kind`` on ``host:port``."""
    if kind == "uvicorn":
        return [
            str(BIN / "uvicorn"), APPLICATION, "--host", host, "--port", str(port),
            "--loop", "uvloop", "--ws-per-message-deflate", "false", "--no-access-log",
            "--ws-max-size", str(MAX_FRAME_BYTES),
        ]  # fmt: skip
    if kind == "daphne":
        return [str(BIN / "daphne"), "-b", host, "-p", str(port), APPLICATION]
    raise ValueError(f"unknown server {kind!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    command = server_command(args.server, host=args.host, port=args.port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
