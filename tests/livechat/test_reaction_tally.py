"""The reaction tally's thread announces the counts, then lets go of its database connection.

The thread lives as long as the process; with persistent connections
(``CONN_MAX_AGE``) it would hold one for nothing between bursts of reactions, and
PostgreSQL would refuse to drop a test database it still holds.
"""

from __future__ import annotations

import json
import time

import pytest
from django.db import connections

from livechat.services import messages, reactions
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room


class WatchedTally(reactions.ReactionTally):
    """A tally that notes its thread's database connection after each flush."""

    def __init__(self) -> None:
        super().__init__(interval=0.05)
        self.connections: list[object] = []

    def flush(self, *, force: bool = False) -> None:
        super().flush(force=force)
        self.connections.append(connections["default"])


@pytest.mark.django_db(transaction=True)
def test_reactions_are_announced_then_the_thread_holds_no_connection(
    session, participant, monkeypatch
):
    tally = WatchedTally()
    monkeypatch.setattr(reactions, "tally", tally)
    message = messages.post_message(session.pk, user=participant, text="Bravo", client_id="m1")

    reactions.react_to_message(message.pk, user=participant, emoji="👏")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = tally.connections and tally.connections[-1].connection is None
        if done and not tally._changed:
            break
        time.sleep(0.05)
    frames = RoomEvent.objects.filter(room=session_room(session.pk), type="chat.reactions")
    announced = [json.loads(frame) for frame in frames.values_list("frame", flat=True)]
    assert [a["messages"] for a in announced] == [[{"id": message.pk, "reactions": {"👏": 1}}]]
    assert tally.connections[-1].connection is None
