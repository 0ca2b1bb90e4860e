"""Append events to a room's log and publish them once the transaction commits.

Example, inside a service::

    with transaction.atomic():
        session.status = Session.Status.LIVE
        session.save(update_fields=["status"])
        record_event(session_room(session.pk), SessionStatus(status="live"))

The frame is encoded once, here, with its ``seq``; the hub and every socket pass
that text along untouched. Nothing is published if the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from django.db import transaction

from plenary.realtime.bus import get_bus
from plenary.realtime.models import RoomEvent, RoomSequence
from plenary.realtime.protocol import frame_type

_encoder = msgspec.json.Encoder()


def encode_frame(frame: Any) -> str:
    """Encode an outbound schema as the JSON text sent on the wire."""
    return _encoder.encode(frame).decode()


def record_event(room: str, frame: Any) -> int:
    """Store ``frame`` as the room's next event and publish it after commit.

    ``frame`` is an outbound schema with a ``seq`` field, which is set here. Must run
    inside ``transaction.atomic()``; the room's sequence row stays locked until the
    transaction ends, so events of one room commit in ``seq`` order.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside transaction.atomic()")
    sequence, _ = RoomSequence.objects.select_for_update().get_or_create(room=room)
    sequence.last_seq = seq = sequence.last_seq + 1
    sequence.save(update_fields=["last_seq"])
    frame.seq = seq
    text = encode_frame(frame)
    RoomEvent.objects.create(room=room, seq=seq, type=frame_type(frame), frame=text)
    # Robust: the change is committed whatever happens to the publication; if it is
    # lost, hubs fill the gap from the log (next event or periodic check).
    transaction.on_commit(lambda: get_bus().publish(room, seq, text), robust=True)
    return seq


def publish_ephemeral(room: str, frame: Any) -> None:
    """Publish a frame that is not kept (seq 0), such as a presence count."""
    get_bus().publish(room, 0, encode_frame(frame))


def current_seq(room: str) -> int:
    """Return the last ``seq`` committed in ``room`` (0 before any event)."""
    value = RoomSequence.objects.filter(room=room).values_list("last_seq", flat=True).first()
    return value or 0


def current_seqs(rooms: Sequence[str]) -> dict[str, int]:
    """Return the last committed ``seq`` of each room that has one, in one query."""
    return dict(RoomSequence.objects.filter(room__in=rooms).values_list("room", "last_seq"))


def events_between(room: str, after: int, upto: int) -> Sequence[tuple[int, str]]:
    """Return the stored ``(seq, frame)`` pairs with ``after < seq <= upto``, in order."""
    return list(
        RoomEvent.objects.filter(room=room, seq__gt=after, seq__lte=upto)
        .order_by("seq")
        .values_list("seq", "frame")
    )
