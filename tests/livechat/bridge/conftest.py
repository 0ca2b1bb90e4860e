from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from assemblies.models import Role
from livechat.bridge import secrets
from livechat.bridge.posts import ImportedPost, Media
from livechat.models import BridgeSettings, Network
from plenary.realtime import bus
from tests import factories
from tests.standin.app import BSKY_HANDLE, BSKY_PASSWORD, TOKEN
from tests.standin.client import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A fresh stand-in process (heartbeats every 0.5 s)."""
    server = StandIn(heartbeat=0.5).start()
    yield server
    server.stop()


@pytest.fixture
def event(db: None) -> Any:
    return factories.make_event(hashtag="AssMedNum")


@pytest.fixture
def event_session(event: Any) -> Any:
    """The event's session that is on now: where imported posts go."""
    return factories.make_session(event=event)


@pytest.fixture
def organiser(event_session: Any) -> Any:
    user = factories.make_user("organisatrice")
    factories.grant(user, Role.Kind.ORGANISER, event=event_session.event)
    return user


@pytest.fixture
def bridge(event: Any) -> BridgeSettings:
    """The event's bridge, on, with no account yet."""
    return BridgeSettings.objects.create(event=event, enabled=True, jetstream_url="")


def configure(
    bridge: BridgeSettings, standin: StandIn, *, mastodon: bool = True, bluesky: bool = True
) -> None:
    """Point ``bridge`` at the stand-in with its accounts."""
    if mastodon:
        bridge.mastodon_instance = standin.url
        bridge.mastodon_token = secrets.seal(TOKEN)
    if bluesky:
        bridge.bluesky_pds = standin.url
        bridge.bluesky_handle = BSKY_HANDLE
        bridge.bluesky_app_password = secrets.seal(BSKY_PASSWORD)
        bridge.jetstream_url = f"{standin.ws_url}/subscribe"
    bridge.save()


def make_post(n: int = 1, **fields: Any) -> ImportedPost:
    defaults: dict[str, Any] = {
        "network": Network.MASTODON,
        "uri": f"https://m.example/users/ana/statuses/{n}",
        "url": f"https://m.example/@ana/{n}",
        "text": f"Bravo pour l'ouverture {n} #AssMedNum",
        "author_name": "Ana",
        "author_handle": "ana@m.example",
        "author_url": "https://m.example/@ana",
        "created_at": datetime.now(UTC),
        "tags": frozenset({"assmednum"}),
        "content_warning": "",
        "media": (Media("https://m.example/a.jpg", "Une salle pleine"),),
        "author_id": "7",
        "cursor": str(n),
    }
    return ImportedPost(**{**defaults, **fields})


@pytest.fixture
def published(monkeypatch: Any, transactional_db: None) -> list[tuple[str, dict[str, Any]]]:
    """Every frame the bus publishes, as ``(room, decoded frame)``."""
    sent: list[tuple[str, dict[str, Any]]] = []
    real = bus.get_bus()
    original = real.publish

    def listen(room: str, seq: int, frame: str) -> None:
        sent.append((room, json.loads(frame)))
        original(room, seq, frame)

    monkeypatch.setattr(real, "publish", listen)
    return sent
