"""Plenary's application with the hashtag bridge running inside the server process.

The embedded default (``make run``) has one server process and an in-process
room bus, so a bridge in another process could not reach open pages at once.
This wrapper starts ``BridgeRunner`` on the server's event loop at ASGI lifespan
startup and stops it at shutdown; every other connection goes to
``plenary.asgi.application`` untouched. Scaled deployments run ``manage.py
run_bridge`` as its own process instead, with Redis carrying its events.

Serve it with ``python -m livechat.bridge.serve`` (the options of
``plenary.server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from plenary.asgi import application as plenary_application


class WithBridge:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        from livechat.bridge.runner import BridgeRunner, Timing

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                timing = Timing(bluesky_appview=os.environ.get("PLENARY_BLUESKY_APPVIEW", ""))
                self.task = asyncio.create_task(BridgeRunner(timing).run(), name="bridge")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.task is not None:
                    self.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.task
                await send({"type": "lifespan.shutdown.complete"})
                return


application = WithBridge(plenary_application)
