"""The broadcast's part of the session socket: each frame is one service call."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone

from assemblies import room_window, session_socket
from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.services import presence
from streaming import access, protocol
from streaming.exceptions import NotAllowed
from streaming.models import Stream
from streaming.services import audience, broadcast, chapters


def stream_state(session: Session, stream: Stream, user: AnyUser) -> protocol.StreamState:
    """The broadcast as a page needs it on connect, with the room's opening hours."""
    opens_at = None
    if session.status != Session.Status.CANCELLED:
        opens_at = session.starts_at - timedelta(minutes=stream.preopen_minutes)
    return protocol.StreamState(
        status=stream.status,
        started_at=stream.started_at,
        ended_at=stream.ended_at,
        source=broadcast.describe_source(stream),
        chapters=chapters.chapters(stream) if stream.status == Stream.Status.REPLAY else [],
        room_opens_at=opens_at,
        room_grace_seconds=stream.grace_minutes * 60,
        now=timezone.now(),
        can_run=access.access_run_stream(user, session),
    )


def handle(frame: Any, request: session_socket.SocketRequest) -> Sequence[Any]:
    user = request.user
    match frame:
        case protocol.StreamStart():
            broadcast.start_broadcast(request.session_id, user=user)
        case protocol.StreamEnd():
            broadcast.end_broadcast(request.session_id, user=user)
        case protocol.StreamCancel():
            broadcast.cancel_broadcast(request.session_id, user=user)
        case protocol.PresenceWho():
            session = Session.objects.filter(pk=request.session_id).first()
            if session is None or not access.access_see_attendance(user, session):
                raise NotAllowed()
            answer = audience.presence_list(session.pk)
            answer.ref = frame.ref
            return [answer]
    return ()


def snapshot(session: Session, user: AnyUser) -> Sequence[Any]:
    """Sessions with a broadcast: its state and the viewer count (none without one)."""
    stream = Stream.objects.filter(session=session).first()
    if stream is None or not access.access_watch_stream(user, session):
        return []
    return [stream_state(session, stream, user), audience.count_frame(session.pk)]


def register() -> None:
    session_socket.register(
        session_socket.SocketArea(
            name="streaming",
            frames=typing.get_args(protocol.Inbound),
            handle=handle,
            snapshot=snapshot,
        )
    )
    presence.add_listener(audience.announce_count)
    room_window.register_hours(broadcast.room_hours, related=["stream"])
