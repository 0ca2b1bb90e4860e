"""The room event log: every persisted room event with its per-room ``seq``.

``RoomSequence`` holds the last ``seq`` handed out for a room; ``record_event``
locks that row, so transactions that append to one room commit in ``seq`` order.
``RoomEvent`` keeps the encoded frame, which is what a reconnecting client replays.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RoomSequence(models.Model):
    room = models.CharField(max_length=100, primary_key=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.room}@{self.last_seq}"


class RoomEvent(models.Model):
    room = models.CharField(max_length=100)
    seq = models.BigIntegerField()
    type = models.CharField(max_length=60)
    frame = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="room_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.room}#{self.seq} {self.type}"
