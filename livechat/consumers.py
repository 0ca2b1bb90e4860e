"""The chat's part of the session socket: each frame is one service call."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from assemblies import session_socket
from assemblies.access import AnyUser
from assemblies.models import Session
from livechat import access, protocol
from livechat.exceptions import NotAllowed
from livechat.models import ChatSettings
from livechat.services import history, messages, moderation


def chat_history(
    session: Session, user: AnyUser, *, before: int | None = None
) -> protocol.ChatHistory:
    page, has_more = history.visible_page(session, before=before)
    settings = ChatSettings.objects.filter(session=session).first()
    return protocol.ChatHistory(
        messages=history.describe(page, session),
        has_more=has_more,
        slow_mode_seconds=settings.slow_mode_seconds if settings else 0,
        can_post=user.is_authenticated and access.chat_is_open(session),
        can_moderate=access.access_moderate_chat(user, session),
    )


def handle(frame: Any, request: session_socket.SocketRequest) -> Sequence[Any]:
    user = request.user
    match frame:
        case protocol.ChatPost():
            messages.post_message(
                request.session_id,
                user=user,
                text=frame.text,
                client_id=frame.client_id,
                reply_to=frame.reply_to,
            )
        case protocol.ChatDelete():
            messages.delete_message(frame.id, user=user)
        case protocol.ChatHide():
            moderation.hide_message(frame.id, user=user, reason=frame.reason)
        case protocol.ChatUnhide():
            moderation.unhide_message(frame.id, user=user)
        case protocol.ChatSlowMode():
            moderation.set_slow_mode(request.session_id, frame.seconds, user=user)
        case protocol.ChatOlder():
            session = Session.objects.filter(pk=request.session_id).first()
            if session is None or not access.access_read_chat(user, session):
                raise NotAllowed()
            older = chat_history(session, user, before=frame.before)
            older.ref = frame.ref
            return [older]
    return ()


def register() -> None:
    session_socket.register(
        session_socket.SocketArea(
            name="chat",
            frames=typing.get_args(protocol.Inbound),
            handle=handle,
            snapshot=lambda session, user: (
                [chat_history(session, user)] if access.access_read_chat(user, session) else []
            ),
        )
    )
