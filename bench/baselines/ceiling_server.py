"""The ceiling baseline: a bare ``websockets`` broadcast server on uvloop.

Every message any client sends is written as-is to every open connection with
``websockets.broadcast`` (no parsing, no encoding, no compression, no queue per
socket): the least work a Python server can do to fan a frame out. ``GET /``
without an upgrade answers 200 so the benchmark can tell that it is up.

Run: ``python bench/baselines/ceiling_server.py --port P [--host 127.0.0.1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from http import HTTPStatus

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

CONNECTIONS: set[ServerConnection] = set()


def health(connection: ServerConnection, request: Request) -> Response | None:
    """Answer a plain HTTP request with 200; let websocket upgrades through."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return None
    return Response(HTTPStatus.OK.value, "OK", Headers([("Content-Length", "3")]), b"ok\n")


async def relay(connection: ServerConnection) -> None:
    """Broadcast whatever this connection sends to every connection."""
    CONNECTIONS.add(connection)
    try:
        async for message in connection:
            broadcast(CONNECTIONS, message)
    except ConnectionClosed:
        pass
    finally:
        CONNECTIONS.discard(connection)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.cancel)
    async with serve(
        relay,
        host,
        port,
        compression=None,
        process_request=health,
        ping_interval=None,
        max_size=2**16,
    ):
        with contextlib.suppress(asyncio.CancelledError):
            await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port))
