"""Emoji reactions on chat messages, announced to the room at most once a second.

A reaction is stored at once (one row per person, message and emoji; adding it
twice or taking back one that is not there changes nothing). The room is not told
reaction by reaction: a crowd clapping would send one event per click to every
socket. Each server process keeps the messages whose reactions changed and, at
most once a second per session, records one ``chat.reactions`` event with their
counts as they stand in the database then. Counts are absolute, so events from
several processes, or a resume that replays old ones, never add up wrongly.

>>> react_to_message(41, user=awa, emoji="👏")   # the room hears within a second
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection, transaction

from assemblies.access import AnyUser
from assemblies.room_window import joined
from livechat import access
from livechat.exceptions import InvalidMessage, LoginRequired, UnknownMessage
from livechat.models import Message, MessageReaction
from livechat.protocol import REACTIONS, ChatReactions, Reactions
from livechat.services.history import reaction_counts
from livechat.services.posting import check_room_open
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room

logger = logging.getLogger(__name__)

#: The shortest time between two ``chat.reactions`` events of a session, per process.
INTERVAL_SECONDS = 1.0


@transaction.atomic
def react_to_message(message_id: int, *, user: AnyUser, emoji: str, on: bool = True) -> Message:
    """Add (``on``) or take back ``user``'s ``emoji`` on a visible message."""
    if not user.is_authenticated:
        raise LoginRequired()
    if emoji not in REACTIONS:
        raise InvalidMessage()
    message = (
        Message.objects.select_related("session", *joined("session")).filter(pk=message_id).first()
    )
    if message is None or message.status != Message.Status.VISIBLE:
        raise UnknownMessage()
    if not access.access_read_chat(user, message.session):
        raise UnknownMessage()
    check_room_open(message.session)
    if on:
        _, changed = MessageReaction.objects.get_or_create(
            message=message, user_id=user.pk, emoji=emoji
        )
    else:
        deleted, _ = MessageReaction.objects.filter(
            message=message, user_id=user.pk, emoji=emoji
        ).delete()
        changed = bool(deleted)
    if changed:
        session_id, pk = message.session_id, message.pk
        transaction.on_commit(lambda: tally.touch(session_id, pk))
    return message


def announce_reactions(session_id: int, message_ids: set[int]) -> None:
    """Record the current counts of ``message_ids`` as one room event."""
    counts = reaction_counts(message_ids)
    frame = ChatReactions(
        messages=[Reactions(id=pk, reactions=counts.get(pk, {})) for pk in sorted(message_ids)]
    )
    with transaction.atomic():
        record_event(session_room(session_id), frame)


class ReactionTally:
    """The messages whose reactions changed, per session, until announced.

    A daemon thread announces them: for each session, the first change waits out
    what is left of ``INTERVAL_SECONDS`` since that session's last announcement,
    and everything that changed meanwhile goes in the same event.
    """

    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._changed: dict[int, set[int]] = {}
        self._last: dict[int, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def touch(self, session_id: int, message_id: int) -> None:
        with self._wake:
            self._changed.setdefault(session_id, set()).add(message_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="reaction-tally", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def flush(self, *, force: bool = False) -> None:
        """Announce every session that is due (all of them with ``force``)."""
        now = time.monotonic()
        with self._wake:
            due = {
                session_id: ids
                for session_id, ids in self._changed.items()
                if force or now - self._last.get(session_id, 0.0) >= self.interval
            }
            for session_id in due:
                del self._changed[session_id]
                self._last[session_id] = now
        for session_id, ids in due.items():
            try:
                announce_reactions(session_id, ids)
            except Exception:  # the next change announces fresh counts anyway
                logger.exception("could not announce reactions of session %s", session_id)

    def _next_due(self) -> float | None:
        if not self._changed:
            return None
        return min(self._last.get(s, 0.0) + self.interval for s in self._changed)

    def _run(self) -> None:
        while True:
            with self._wake:
                while (due := self._next_due()) is None:
                    self._wake.wait()
                delay = due - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
            close_old_connections()
            self.flush()
            with self._wake:
                idle = not self._changed
            if idle:
                # Nothing left to announce: hold no database connection until the
                # next reaction (a daemon thread would keep it for the process's life).
                connection.close()
            else:
                close_old_connections()


tally = ReactionTally()
