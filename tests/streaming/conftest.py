"""Fixtures of the broadcast tests: an ingest stream, and what its events look like."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assemblies.models import Session
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room
from streaming.models import Stream
from tests import factories


@pytest.fixture
def stream(session: Session) -> Stream:
    """The session's broadcast through the platform's ingest, scheduled."""
    return factories.make_stream(session)


def room_events(session: Session, kind: str | None = None) -> list[dict[str, Any]]:
    """The session room's stored events (of one type), oldest first, decoded."""
    found = RoomEvent.objects.filter(room=session_room(session.pk)).order_by("seq")
    if kind is not None:
        found = found.filter(type=kind)
    return [json.loads(frame) for frame in found.values_list("frame", flat=True)]
