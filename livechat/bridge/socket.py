"""The bridge's part of the session socket: ``bridge.send`` and
``bridge.send_question`` in, ``bridge.status`` out.

Moderators get the event's bridge state in their snapshot (and live, from
``livechat.services.bridge.announce_status`` through the moderators' room).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assemblies import session_socket
from assemblies.access import AnyUser
from assemblies.models import Session
from livechat import access, protocol
from livechat.services import bridge


def handle(frame: Any, request: session_socket.SocketRequest) -> Sequence[Any]:
    match frame:
        case protocol.BridgeSend():
            bridge.share_message(frame.id, user=request.user)
        case protocol.BridgeSendQuestion():
            bridge.share_question(frame.id, user=request.user)
    return ()


def snapshot(session: Session, user: AnyUser) -> Sequence[Any]:
    if session.event_id is None or not access.access_moderate_chat(user, session):
        return []
    status = bridge.bridge_status(session.event_id)
    return [status] if status.networks else []


def register() -> None:
    session_socket.register(
        session_socket.SocketArea(
            name="bridge",
            frames=(protocol.BridgeSend, protocol.BridgeSendQuestion),
            handle=handle,
            snapshot=snapshot,
            snapshot_on_resume=lambda session, user: access.access_moderate_chat(user, session),
        )
    )
