"""``python -m tests.standin [--port 8025] [--demo]``: serve the stand-in on 127.0.0.1.

With ``--demo`` (what ``make run`` uses), people post under #assmednum now and
then, on Mastodon and on Bluesky, so the demo's bridge has something to bring in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
from typing import Any

import uvicorn

from tests.standin.app import byte_facets, create_app, now_iso

DEMO_POSTS = [
    ("mastodon", "claire", "Claire Martin", "Très bonne ouverture des #AssMedNum, merci !"),
    ("bluesky", "medi.bsky.social", "Médiathèque d'Ajaccio", "On suit la plénière #assmednum 📺"),
    (
        "mastodon",
        "paul",
        "Paul",
        "Question pour la table ronde : quels moyens pour les EPN ? #assmednum",
    ),
    (
        "bluesky",
        "lea.bsky.social",
        "Léa",
        "Les slides sont en ligne https://example.org/slides #AssMédNum",
    ),
    ("mastodon", "assoc", "Asso Numérique Solidaire", "Retrouvez-nous au stand 12 #assmednum"),
    (
        "bluesky",
        "tom.bsky.social",
        "Tom",
        "Le débat sur l'inclusion numérique est passionnant #assmednum",
    ),
]


async def demo(app: Any, every: float) -> None:
    """Post one of ``DEMO_POSTS`` every ``every`` seconds (a little jitter)."""
    state = app.state.standin
    await asyncio.sleep(5)
    n = 0
    while True:
        network, who, name, text = DEMO_POSTS[n % len(DEMO_POSTS)]
        if network == "mastodon":
            state.new_status(text=text, username=who, display_name=name)
        else:
            did = f"did:plc:demo{abs(hash(who)) % 10**8}"
            state.profiles[did] = {"handle": who, "displayName": name}
            record = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": now_iso(),
                "facets": byte_facets(text),
            }
            state.jet_event(did, record)
        n += 1
        await asyncio.sleep(every * random.uniform(0.7, 1.3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--heartbeat", type=float, default=15.0)
    parser.add_argument("--demo", action="store_true", help="post #assmednum now and then")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between demo posts")
    args = parser.parse_args()
    app = create_app(heartbeat=args.heartbeat)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
        # Streams never end by themselves: on Ctrl-C, close them rather than wait.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(demo(app, args.every)) if args.demo else None
        try:
            await server.serve()
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
