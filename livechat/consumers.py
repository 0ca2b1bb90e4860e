"""The chat's part of the session socket: each frame is one service call."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from assemblies import session_socket
from assemblies.access import AnyUser
from assemblies.models import Session
from livechat import access, protocol
from livechat.exceptions import NotAllowed
from livechat.models import ChatSettings, Question, QuestionVote
from livechat.services import history, messages, moderation, questions, reactions, sanctions
from plenary.realtime.rooms import session_moderators_room, session_user_room


def chat_history(
    session: Session, user: AnyUser, *, before: int | None = None
) -> protocol.ChatHistory:
    page, has_more = history.visible_page(session, before=before)
    settings = ChatSettings.of(session)
    sanction = sanctions.active_sanction(session.pk, user.pk) if user.pk else None
    return protocol.ChatHistory(
        messages=history.describe(page, session),
        has_more=has_more,
        slow_mode_seconds=settings.slow_mode_seconds,
        mode=settings.mode,
        can_post=user.is_authenticated and access.chat_is_open(session),
        can_moderate=access.access_moderate_chat(user, session),
        restriction=sanctions.restriction(sanction),
        transparency=history.transparency(session) if before is None else None,
        reacted=history.reacted_by(user, page),
        pending=history.pending_of(user, session) if before is None else [],
    )


def chat_queue(session: Session) -> protocol.ChatQueue:
    return protocol.ChatQueue(items=history.describe_queue(history.queue(session), session))


def question_list(session: Session, user: AnyUser) -> protocol.QuestionList:
    can_moderate = access.access_moderate_chat(user, session)
    shown = [Question.Status.OPEN, Question.Status.ON_SCREEN, Question.Status.ANSWERED]
    found = Question.objects.filter(session=session).select_related("author")
    if can_moderate:
        found = found.filter(status__in=[*shown, Question.Status.PENDING])
    elif user.is_authenticated:  # authors see their own pending questions
        found = found.filter(
            Q(status__in=shown) | Q(status=Question.Status.PENDING, author_id=user.pk)
        )
    else:
        found = found.filter(status__in=shown)
    voted: list[int] = []
    if user.is_authenticated:
        voted = list(
            QuestionVote.objects.filter(question__session=session, user_id=user.pk).values_list(
                "question_id", flat=True
            )
        )
    settings = ChatSettings.objects.filter(session=session).first()
    return protocol.QuestionList(
        questions=history.describe_questions(found.order_by("pk"), session),
        voted=voted,
        can_ask=user.is_authenticated and access.chat_is_open(session),
        can_moderate=can_moderate,
        premoderated=bool(settings and settings.questions_premoderated),
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
                share=frame.share,
            )
        case protocol.ChatDelete():
            messages.delete_message(frame.id, user=user)
        case protocol.ChatHide():
            moderation.hide_message(frame.id, user=user, ground=frame.ground, reason=frame.reason)
        case protocol.ChatUnhide():
            moderation.unhide_message(frame.id, user=user)
        case protocol.ChatApprove():
            moderation.approve_message(frame.id, user=user, text=frame.text)
        case protocol.ChatReject():
            moderation.reject_message(frame.id, user=user, ground=frame.ground, reason=frame.reason)
        case protocol.ChatReport():
            moderation.report_message(frame.id, user=user, ground=frame.ground)
        case protocol.ChatReact():
            reactions.react_to_message(frame.id, user=user, emoji=frame.emoji, on=frame.on)
        case protocol.ChatSanction():
            sanctions.sanction_user(
                request.session_id,
                frame.user,
                user=user,
                minutes=frame.minutes,
                reason=frame.reason,
            )
        case protocol.ChatLift():
            sanctions.lift_sanction(request.session_id, frame.user, user=user)
        case protocol.ChatSlowMode():
            moderation.set_slow_mode(request.session_id, frame.seconds, user=user)
        case protocol.QuestionAsk():
            question = questions.ask_question(
                request.session_id,
                user=user,
                text=frame.text,
                client_id=frame.client_id,
                share=frame.share,
            )
            if question.status == Question.Status.PENDING:
                # Only the moderators' room hears of it: tell the author here.
                state = history.describe_questions([question], question.session)[0]
                return [protocol.QuestionUpdated(question=state)]
        case protocol.QuestionVote():
            questions.vote_question(frame.id, user=user, vote=frame.vote)
        case protocol.QuestionSet():
            questions.set_question_status(frame.id, frame.status, user=user)
        case protocol.ChatOlder():
            session = Session.objects.filter(pk=request.session_id).first()
            if session is None or not access.access_read_chat(user, session):
                raise NotAllowed()
            older = chat_history(session, user, before=frame.before)
            older.ref = frame.ref
            return [older]
    return ()


def snapshot(session: Session, user: AnyUser) -> Sequence[Any]:
    if not access.access_read_chat(user, session):
        return []
    frames: list[Any] = [chat_history(session, user), question_list(session, user)]
    if access.access_moderate_chat(user, session):
        frames.append(chat_queue(session))
    return frames


def personal_rooms(session: Session, user: AnyUser) -> Sequence[str]:
    """The user's own notices, and the moderators' room for moderators."""
    if user.pk is None:
        return []
    rooms = [session_user_room(session.pk, user.pk)]
    if access.access_moderate_chat(user, session):
        rooms.append(session_moderators_room(session.pk))
    return rooms


def register() -> None:
    session_socket.register(
        session_socket.SocketArea(
            name="chat",
            frames=(*typing.get_args(protocol.Inbound), *typing.get_args(protocol.QuestionInbound)),
            handle=handle,
            snapshot=snapshot,
            rooms=personal_rooms,
            # The moderators' pending items live in their room only.
            snapshot_on_resume=lambda session, user: access.access_moderate_chat(user, session),
        )
    )
