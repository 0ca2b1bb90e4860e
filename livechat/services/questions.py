"""Audience questions: ask, vote, and the moderators' handling of them.

A question is stamped with the agenda item current when it was asked. When the
session's questions are pre-moderated it waits, seen only by its author and the
moderators, until approved. Everyone else sees open, on-screen and answered
questions and their vote counts live. One vote per person and question; votes are
counted in the question row, locked while it changes. At most one question is on
screen at a time: showing one puts the previous one back among the open ones.
A question whose author asked for it to go out under the event's hashtag
(``share``) goes out once a moderator approved it (``livechat.services.bridge``):
approving a pending one does, else a moderator sends it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.room_window import joined
from assemblies.services.audit import log_action
from livechat import access
from livechat.exceptions import (
    InvalidMessage,
    LoginRequired,
    UnknownQuestion,
)
from livechat.models import ChatSettings, Question, QuestionVote
from livechat.protocol import QuestionUpdated
from livechat.services.history import describe_questions
from livechat.services.posting import (
    check_room_open,
    checked_text,
    open_session,
    previous_post,
)
from plenary.realtime.events import publish_ephemeral, record_event
from plenary.realtime.rooms import session_moderators_room, session_room

MAX_QUESTION = 300
#: What a moderator may set, from which statuses.
MOVES: dict[str, set[str]] = {
    Question.Status.OPEN: {Question.Status.PENDING, Question.Status.ON_SCREEN,
                           Question.Status.ANSWERED, Question.Status.ARCHIVED},
    Question.Status.ON_SCREEN: {Question.Status.OPEN, Question.Status.PENDING,
                                Question.Status.ANSWERED},
    Question.Status.ANSWERED: {Question.Status.OPEN, Question.Status.ON_SCREEN},
    Question.Status.ARCHIVED: {Question.Status.PENDING, Question.Status.OPEN,
                               Question.Status.ON_SCREEN, Question.Status.ANSWERED},
}  # fmt: skip


def _announce(question: Question, *, was_public: bool = True) -> None:
    """Tell the room, or only the moderators while the room has never seen it
    (pending, or archived straight from pending: a rejected question's text is
    never sent to the room)."""
    frame = QuestionUpdated(question=describe_questions([question], question.session)[0])
    unseen = question.status == Question.Status.ARCHIVED and not was_public
    if question.status == Question.Status.PENDING or unseen:
        room = session_moderators_room(question.session_id)
        transaction.on_commit(lambda: publish_ephemeral(room, frame), robust=True)
    else:
        record_event(session_room(question.session_id), frame)


@transaction.atomic
def ask_question(
    session_id: int, *, user: AnyUser, text: str, client_id: str, share: bool = False
) -> Question:
    existing = previous_post(Question, user=user, client_id=client_id, session_id=session_id)
    if existing is not None:
        return existing
    session = open_session(session_id, user=user)
    text = checked_text(text, limit=MAX_QUESTION)
    settings = ChatSettings.objects.filter(session=session).first()
    premoderated = settings is not None and settings.questions_premoderated
    try:
        with transaction.atomic():
            question = Question.objects.create(
                session=session,
                author_id=user.pk,
                client_id=client_id,
                text=text,
                agenda_item_id=session.current_item_id,
                status=Question.Status.PENDING if premoderated else Question.Status.OPEN,
                share_requested=share,
            )
    except IntegrityError:  # the same question, retried concurrently
        return Question.objects.get(author_id=user.pk, client_id=client_id)
    _announce(question)
    return question


@transaction.atomic
def vote_question(question_id: int, *, user: AnyUser, vote: bool = True) -> Question:
    """Add (or take back) ``user``'s one vote; repeating it changes nothing."""
    if not user.is_authenticated:
        raise LoginRequired()
    question = (
        Question.objects.select_for_update(of=("self",))  # not the session row
        .select_related("session", *joined("session"))
        .filter(pk=question_id)
        .first()
    )
    visible = {Question.Status.OPEN, Question.Status.ON_SCREEN}
    if question is None or question.status not in visible:
        raise UnknownQuestion()
    if not access.access_read_chat(user, question.session):
        raise UnknownQuestion()
    check_room_open(question.session)
    if vote:
        _, created = QuestionVote.objects.get_or_create(question=question, user_id=user.pk)
        change = 1 if created else 0
    else:
        deleted, _ = QuestionVote.objects.filter(question=question, user_id=user.pk).delete()
        change = -deleted
    if change:
        Question.objects.filter(pk=question.pk).update(votes=F("votes") + change)
        question.refresh_from_db(fields=["votes"])
        _announce(question)
    return question


@transaction.atomic
def set_question_status(question_id: int, status: str, *, user: AnyUser) -> Question:
    """A moderator approves, shows, answers, reopens or archives a question."""
    question = (
        Question.objects.select_for_update(of=("self",))  # not the session row
        .select_related("session")
        .filter(pk=question_id)
        .first()
    )
    if question is None or not access.access_moderate_chat(user, question.session):
        raise UnknownQuestion()
    if status not in MOVES:
        raise InvalidMessage(gettext("Unknown question status."))
    if question.status == status:
        return question
    if question.status not in MOVES[status]:
        raise InvalidMessage(gettext("This question cannot move to that status."))
    if status == Question.Status.ON_SCREEN:
        shown = Question.objects.select_for_update().filter(
            session_id=question.session_id, status=Question.Status.ON_SCREEN
        )
        for previous in shown:
            previous.status = Question.Status.OPEN
            previous.save(update_fields=["status"])
            previous.session = question.session
            _announce(previous)
    was_public = question.status != Question.Status.PENDING
    question.status = status
    fields = ["status"]
    if not was_public and status != Question.Status.ARCHIVED:
        question.reviewed_at = timezone.now()  # approved: a shared one may go out
        fields.append("reviewed_at")
    question.save(update_fields=fields)
    log_action(
        actor=user, action=f"question.{status}", session=question.session, question=question.pk
    )
    _announce(question, was_public=was_public)
    return question
