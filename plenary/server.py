"""How Plenary is served: one place for the ASGI server command and its options.

``python -m plenary.server [--host H] [--port P] [--server uvicorn|daphne]`` runs
the server; ``make run``, the live tests and the benchmarks all start it through
``server_command``, so what is measured is what is served.

Uvicorn is the default: on these machines it carried about three times Daphne's
fan-out and accepted sockets faster (see bench/connect.py). Its per-message
deflate is off: measured with 2,000 idle sockets, compression took the server
from 37 to 76 KiB per socket and costs CPU on every frame, while Plenary's frames
are a few hundred bytes of JSON.

Under Uvicorn, room events skip the ASGI ``send`` (``direct_wire``): the hub
builds each event's websocket frame once and writes those bytes to every
socket's transport. Going through ``send`` built the same frame again for each
socket in websockets' sans-I/O protocol and woke one task per socket per event;
that was most of a core at 2,000 sockets x 25 events/s (docs/architecture.md).
Uvicorn's websocket implementation is pinned (``--ws websockets-sansio``) because
the hook relies on its connection class; any other server, or a connection that
negotiated an extension, keeps the plain ASGI ``send``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
            "--loop", "uvloop", "--ws", "websockets-sansio",
            "--ws-per-message-deflate", "false", "--no-access-log",
            "--ws-max-size", str(MAX_FRAME_BYTES),
        ]  # fmt: skip
    if kind == "daphne":
        return [str(BIN / "daphne"), "-b", host, "-p", str(port), APPLICATION]
    raise ValueError(f"unknown server {kind!r}")


class UvicornWire:
    """Direct writes to one of Uvicorn's websocket connections (``websockets-sansio``).

    The connection writes every frame it makes (the handshake, pings, pongs, the
    close) with one ``transport.write`` and keeps nothing buffered between writes,
    so whole frames written here interleave safely with its own. What is read of
    it, checked against Uvicorn 0.54 (``uvicorn.protocols.websockets.
    websockets_sansio_impl``): ``transport``; ``writable``, the event its
    ``pause_writing`` clears and ``resume_writing`` (or the connection's loss)
    sets; ``close_sent``, set once a close frame went out, after which no data
    frame may follow. tests/realtime/test_wire.py runs the real server against it.
    """

    __slots__ = ("_connection", "_transport", "_writable")

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._transport: asyncio.Transport = connection.transport
        self._writable: asyncio.Event = connection.writable

    def try_write(self, data: bytes) -> bool:
        if self._connection.close_sent or self._transport.is_closing():
            return True  # closing: dropped, as the ASGI send would; the client resumes
        if not self._writable.is_set():
            return False
        self._transport.write(data)
        return True

    async def drained(self) -> None:
        await self._writable.wait()


@functools.cache
def _uvicorn_connection_class() -> type | None:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # another Uvicorn layout: every socket keeps the ASGI send
        return None
    return WebSocketsSansIOProtocol


def direct_wire(send: Callable[..., Any]) -> UvicornWire | None:
    """Return a ``Wire`` (``plenary.realtime.hub``) for the accepted websocket behind
    the server's own ``send``, or None where frames must go through ``send``.

    Uvicorn hands the application its connection's bound ``send`` method, which
    leads to the connection. Daphne, test communicators, a Uvicorn wrapped in
    middleware that replaces ``send`` (its trace logging), or a connection that
    negotiated an extension such as per-message deflate get None.
    """
    connection: Any = getattr(send, "__self__", None)
    kind = _uvicorn_connection_class()
    if kind is None or connection.__class__ is not kind:
        return None
    if connection.conn.extensions or not connection.handshake_complete:
        return None
    return UvicornWire(connection)


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
