"""The session socket, ``/ws/sessions/<id>/``: programme state live for everyone.

Thin by design: find the session and check access, then for each frame parse it
into a schema, call one service, and reply with ``ack`` or ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from assemblies import access, protocol
from assemblies.exceptions import ProgrammeError
from assemblies.models import Session
from assemblies.services import live
from assemblies.services.state import session_state
from plenary.realtime.consumers import RoomConsumer
from plenary.realtime.protocol import Ack, Error, Ping, Pong
from plenary.realtime.rooms import session_room


class SessionConsumer(RoomConsumer):
    session_id: int

    def find_room(self) -> str | None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        session = Session.objects.filter(pk=self.session_id).first()
        if session is None or not access.access_view_session(self.scope["user"], session):
            return None
        return session_room(session.pk)

    def snapshot(self, seq: int) -> Sequence[Any]:
        session = Session.objects.get(pk=self.session_id)
        return [session_state(session, user=self.scope["user"], seq=seq)]

    async def handle_frame(self, text: str) -> None:
        try:
            frame = protocol.inbound_decoder.decode(text)
        except msgspec.ValidationError as exc:
            self.reply(Error(code="bad_frame", message=str(exc)))
            return
        except msgspec.DecodeError:
            self.reply(Error(code="bad_frame", message=_("The frame is not valid JSON.")))
            return
        if isinstance(frame, Ping):
            self.reply(Pong(ref=frame.ref))
            return
        try:
            await database_sync_to_async(self._run)(frame)
        except ProgrammeError as exc:
            self.reply(Error(code=exc.code, message=exc.message, ref=frame.ref))
            return
        if frame.ref is not None:
            self.reply(Ack(ref=frame.ref))

    def _run(self, frame: Any) -> None:
        user = self.scope["user"]
        match frame:
            case protocol.SessionStart():
                live.start_session(self.session_id, user=user)
            case protocol.SessionEnd():
                live.end_session(self.session_id, user=user)
            case protocol.AgendaAdvance():
                live.advance_agenda(self.session_id, user=user)
            case protocol.AgendaSelect(item=item):
                live.select_agenda_item(self.session_id, item, user=user)
