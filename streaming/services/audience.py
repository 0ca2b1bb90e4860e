"""The audience a broadcast shows: a rounded viewer count for everyone, and for
organisers the exact list of who is here with the hybrid count for quorum.

The counts themselves are kept by ``assemblies.services.presence`` (right across
processes); this module decides what is said about them. Everyone hears a
``presence.count`` when the rounded number changes, at most once a second per
process, and only in sessions that have a broadcast.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async

from accounts.models import User
from assemblies.services import presence
from plenary.realtime.events import publish_ephemeral
from plenary.realtime.rooms import session_room
from streaming.models import Stream
from streaming.protocol import Attendee, PresenceCount, PresenceList

#: The last count announced in each session, by this process.
_announced: dict[int, int] = {}


def rounded(viewers: int) -> tuple[int, bool]:
    """Round a viewer count for the public: exact under 10, else two significant digits.

    >>> rounded(7), rounded(118), rounded(2345)
    ((7, False), (120, True), (2300, True))
    """
    if viewers < 10:
        return viewers, False
    magnitude = 10 ** (len(str(viewers)) - 2)
    return round(viewers / magnitude) * magnitude, True


def count_frame(session_id: int) -> PresenceCount:
    shown, approx = rounded(presence.viewers(session_id).sockets)
    return PresenceCount(viewers=shown, approx=approx)


async def announce_count(session_id: int) -> None:
    """Presence listener: tell the room the rounded count when it changed."""
    if not await database_sync_to_async(_has_stream)(session_id):
        return
    frame = await asyncio.to_thread(count_frame, session_id)
    if _announced.get(session_id) == frame.viewers:
        return
    _announced[session_id] = frame.viewers
    await asyncio.to_thread(publish_ephemeral, session_room(session_id), frame)


def _has_stream(session_id: int) -> bool:
    return Stream.objects.filter(session_id=session_id).exists()


def presence_list(session_id: int) -> PresenceList:
    """Who is here now: online (a page open) and in the hall, for organisers."""
    viewers = presence.viewers(session_id)
    online = set(viewers.users)
    in_hall = presence.checked_in_users(session_id)
    people = User.objects.filter(pk__in=online | in_hall).order_by("display_name", "username")
    return PresenceList(
        viewers=viewers.sockets,
        anonymous=viewers.anonymous,
        online=len(online - in_hall),
        in_hall=len(in_hall),
        total=len(online | in_hall),
        people=[
            Attendee(
                id=person.pk,
                name=person.public_name,
                online=person.pk in online,
                in_hall=person.pk in in_hall,
            )
            for person in people
        ],
    )
