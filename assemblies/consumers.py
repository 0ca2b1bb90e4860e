"""The session socket, ``/ws/sessions/<id>/``: programme state live for everyone.

Thin by design: find the session and check access, then for each frame parse it
into a schema, call one service, and reply with ``ack`` or ``error``.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from assemblies import access, protocol, session_socket
from assemblies.models import Session
from assemblies.room_window import room_window, sessions
from assemblies.services import live, presence, room
from assemblies.services.state import session_state
from plenary.errors import DomainError
from plenary.realtime.consumers import RoomConsumer
from plenary.realtime.protocol import Ack, Error, Ping, Pong
from plenary.realtime.rooms import session_room

logger = logging.getLogger(__name__)


class SessionConsumer(RoomConsumer):
    session_id: int
    session: Session
    presence_ticket: presence.Ticket | None = None
    following_room: bool = False
    room_changes_at: datetime | None = None

    async def connect(self) -> None:
        await super().connect()
        if self.room is not None:  # counted once it follows the room
            room.follow(self.session_id, self.room_changes_at)  # told when it opens or closes
            self.following_room = True
            self.presence_ticket = await presence.arrive(self.session_id, self.scope["user"])

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.following_room:
            self.following_room = False
            room.unfollow(self.session_id)
        if self.presence_ticket is not None:
            ticket, self.presence_ticket = self.presence_ticket, None
            await presence.depart(ticket)

    def find_room(self) -> str | None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        session = sessions().filter(pk=self.session_id).first()
        if session is None or not access.access_view_session(self.scope["user"], session):
            return None
        self.session = session
        self.room_changes_at = room_window(session).changes_at
        return session_room(session.pk)

    def extra_rooms(self) -> Sequence[str]:
        user = self.scope["user"]
        if not user.is_authenticated:
            return ()
        rooms: list[str] = []
        for area in session_socket.areas():
            if area.rooms is not None:
                rooms += area.rooms(self.session, user)
        return rooms

    def resume_needs_snapshot(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and any(
            area.snapshot_on_resume(self.session, user)
            for area in session_socket.areas()
            if area.snapshot_on_resume is not None
        )

    def snapshot(self, seq: int) -> Sequence[Any]:
        session = sessions().select_related("current_item").get(pk=self.session_id)
        user = self.scope["user"]
        frames: list[Any] = [session_state(session, user=user, seq=seq)]
        for area in session_socket.areas():
            if area.snapshot is not None:
                frames += area.snapshot(session, user)
        return frames

    async def handle_frame(self, text: str) -> None:
        try:
            frame = session_socket.decoder().decode(text)
        except msgspec.ValidationError as exc:
            # The detail (a field name, an expected type) is for the client's developer.
            message = _("This frame is not valid: %(detail)s") % {"detail": exc}
            self.reply(Error(code="bad_frame", message=message))
            return
        except msgspec.DecodeError:
            self.reply(Error(code="bad_frame", message=_("The frame is not valid JSON.")))
            return
        if isinstance(frame, Ping):
            self.reply(Pong(ref=frame.ref))
            return
        request = session_socket.SocketRequest(self.session_id, self.scope["user"])
        area = session_socket.area_of(frame)
        try:
            replies = await database_sync_to_async(area.handle)(frame, request)
        except DomainError as exc:
            self.reply(Error(code=exc.code, message=exc.message, ref=frame.ref))
            return
        except Exception:  # a bug or an outage must not close the socket
            logger.exception("session %s: %s failed", self.session_id, type(frame).__name__)
            message = _("Something went wrong on the server. Try again in a moment.")
            self.reply(Error(code="server_error", message=message, ref=frame.ref))
            return
        for reply in replies:
            self.reply(reply)
        if frame.ref is not None:
            self.reply(Ack(ref=frame.ref))


def handle_programme_frame(frame: Any, request: session_socket.SocketRequest) -> Sequence[Any]:
    """Organiser console actions: each is one service call."""
    match frame:
        case protocol.SessionStart():
            live.start_session(request.session_id, user=request.user)
        case protocol.SessionEnd():
            live.end_session(request.session_id, user=request.user)
        case protocol.AgendaAdvance(after=after):
            live.advance_agenda(request.session_id, user=request.user, after=after)
        case protocol.AgendaSelect(item=item):
            live.select_agenda_item(request.session_id, item, user=request.user)
    return ()


session_socket.register(
    session_socket.SocketArea(
        name="programme",
        frames=typing.get_args(protocol.Inbound),
        handle=handle_programme_frame,
    )
)
