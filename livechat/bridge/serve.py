"""``python -m livechat.bridge.serve [--port P]``: serve Plenary with the bridge inside.

The same server and options as ``python -m plenary.server`` (``server_command``),
serving ``livechat.bridge.asgi:application``. What ``make run`` starts.
"""

from __future__ import annotations

import argparse
import os

from plenary.server import APPLICATION, server_command

BRIDGED_APPLICATION = "livechat.bridge.asgi:application"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    command = server_command("uvicorn", host=args.host, port=args.port)
    command = [BRIDGED_APPLICATION if part == APPLICATION else part for part in command]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
