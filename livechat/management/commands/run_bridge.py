"""``manage.py run_bridge``: run every configured hashtag bridge until stopped.

One process is enough for any number of events. It writes to the database and
publishes on the room bus like a server process, so with several processes
(this one included) set ``REDIS_URL``; on the embedded default a post accepted
into the room reaches open pages through the servers' periodic check of the
room log (a few seconds), and the moderators' queue and the bridge's state on
reload. ``make run`` instead runs the bridge inside its one server process
(``livechat.bridge.asgi``), where everything is live.

Ctrl-C or SIGTERM stops it cleanly: streams closed, state marked disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from django.core.management.base import BaseCommand

from livechat.bridge.runner import BridgeRunner, Timing


class Command(BaseCommand):
    help = "Run the hashtag bridges (Mastodon, Bluesky) of every event that has one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reload", type=float, default=10.0, help="seconds between configuration reads"
        )
        parser.add_argument(
            "--read-timeout",
            type=float,
            default=float(os.environ.get("PLENARY_BRIDGE_READ_TIMEOUT", "60")),
            help="seconds of silence after which a stream counts as dead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("livechat.bridge").setLevel(logging.INFO)
        timing = Timing(
            reload_every=options["reload"],
            read_timeout=options["read_timeout"],
            bluesky_appview=os.environ.get("PLENARY_BLUESKY_APPVIEW", ""),
        )
        asyncio.run(self._run(BridgeRunner(timing)))

    async def _run(self, runner: BridgeRunner) -> None:
        task = asyncio.create_task(runner.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        self.stdout.write("Bridge running; Ctrl-C stops it.")
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.stdout.write("Bridge stopped.")
