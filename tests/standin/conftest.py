from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.standin.client import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A fresh stand-in process (heartbeats every 0.5 s)."""
    server = StandIn(heartbeat=0.5).start()
    yield server
    server.stop()
