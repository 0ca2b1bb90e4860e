"""``manage.py demo_bridge [--standin URL]``: point the demo's bridge at the stand-in.

``make run`` runs it after ``loaddemo``: the Assises (#assmednum) follow the
stand-in's Mastodon and Jetstream (``python -m tests.standin --demo``), with its
test accounts, so bridged posts arrive in the opening plenary's moderation queue.
It lives here rather than in ``loaddemo`` because ``assemblies`` imports no
other app. Re-running it is safe; it never touches another event's bridge.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assemblies.models import Event
from livechat.bridge import secrets
from livechat.models import BridgeSettings, BridgeState

#: The demo event (``assemblies.management.commands.loaddemo``).
DEMO_EVENT_SLUG = "assises-ajaccio"
#: The stand-in's accounts (``tests/standin/app.py``).
STANDIN_TOKEN = "standin-token"
STANDIN_BSKY_HANDLE = "plenary.standin.test"
STANDIN_BSKY_PASSWORD = "app-pass-word-0000"


class Command(BaseCommand):
    help = "Configure the demo event's hashtag bridge to use the local stand-in."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--standin", default="http://127.0.0.1:8025")

    def handle(self, *args: Any, standin: str, **options: Any) -> None:
        event = Event.objects.filter(slug=DEMO_EVENT_SLUG).first()
        if event is None:
            raise CommandError("Load the demo first: manage.py loaddemo")
        base = standin.rstrip("/")
        with transaction.atomic():
            BridgeSettings.objects.update_or_create(
                event=event,
                defaults={
                    "enabled": True,
                    "mastodon_instance": base,
                    "mastodon_token": secrets.seal(STANDIN_TOKEN),
                    "bluesky_pds": base,
                    "bluesky_handle": STANDIN_BSKY_HANDLE,
                    "bluesky_app_password": secrets.seal(STANDIN_BSKY_PASSWORD),
                    "jetstream_url": base.replace("http", "ws", 1) + "/subscribe",
                },
            )
            BridgeState.objects.filter(event=event).update(stopped=False)
        self.stdout.write(f"Demo bridge: #{event.hashtag} through the stand-in at {base}")
