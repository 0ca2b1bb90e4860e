"""The Channels tutorial pattern as a tiny standalone ASGI app (a benchmark baseline).

Each socket is an ``AsyncWebsocketConsumer`` that joins one group. A received
frame becomes one ``group_send`` to the group; the channel layer copies it into
every member's channel, and each consumer's group handler JSON-encodes it and
sends it: one channel-layer message and one JSON encode per socket, as in the
Channels tutorial's chat. ``GET /`` answers 200 so the benchmark can tell that
the server is up.

Served like the product: ``uvicorn tutorial_asgi:application --app-dir
bench/baselines --loop uvloop --ws-per-message-deflate false``.
"""

from __future__ import annotations

import json
import os
from typing import Any

# This module is the baseline's own Django project: pin its settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "tutorial_settings"

import django

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "chat"


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            return
        message = json.loads(text_data)
        await self.channel_layer.group_send(GROUP, {"type": "chat.message", "message": message})

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event))


async def health(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Plain HTTP: 200 for any request."""
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"3")]}
    )
    await send({"type": "http.response.body", "body": b"ok\n"})


application = ProtocolTypeRouter(
    {
        "http": health,
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/chat/", ChatConsumer.as_asgi())])
        ),
    }
)
