"""The bus: publication failures never undo a change; deployments never cross-talk."""

from __future__ import annotations

import asyncio
import os

import pytest

from assemblies.models import Session
from assemblies.services import live
from plenary.realtime import bus as bus_module
from plenary.realtime.bus import RedisBus

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL", "")


def test_a_change_stands_when_the_bus_cannot_publish(session, organiser, monkeypatch):
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setattr(bus_module, "_bus", RedisBus("redis://127.0.0.1:1/0", "plenary:test:"))

    live.start_session(session.pk, user=organiser)

    session.refresh_from_db()
    assert session.status == Session.Status.LIVE
    assert session.current_item is not None


@pytest.mark.skipif(not REDIS_URL, reason="needs the Redis of the scaled pass (REDIS_URL)")
async def test_buses_with_other_prefixes_do_not_hear_each_other():
    ours, theirs = RedisBus(REDIS_URL, "plenary:ours:"), RedisBus(REDIS_URL, "plenary:theirs:")
    received: list[tuple[str, int, str]] = []
    subscription = ours.subscription(lambda room, seq, frame: received.append((room, seq, frame)))
    await subscription.add("session.1")

    theirs.publish("session.1", 1, "not for us")
    ours.publish("session.1", 1, "for us")
    await asyncio.sleep(0.3)
    await subscription.close()

    assert received == [("session.1", 1, "for us")]
