"""Moderating the chat: the review queue, hiding and restoring, reports, settings.

Every moderator action is checked with ``access_moderate_chat``, locks the message
row it changes, is written to the audit log with who did it and why, and is
announced after commit. What each one tells whom:

- ``hide_message`` and ``reject_message``: the message leaves (or never reaches)
  the room, its author is told why (``chat.notice``, their sockets only), and the
  room's transparency line counts it under its public ground;
- ``approve_message`` publishes a queued message (edited first if the moderator
  changed its text) or marks a visible one reviewed;
- ``unhide_message`` puts a hidden message back in its place;
- ``report_message`` (any participant): the message enters the moderators' queue;
  at ``report_threshold`` open reports it leaves the room until reviewed.

The moderators' queue changes reach the moderators' room only (``chat.queued``,
``chat.unqueued``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.services.audit import log_action
from livechat import access
from livechat.blocklist import MAX_ENTRIES, parse_entries
from livechat.exceptions import InvalidMessage, LoginRequired, NotAllowed, UnknownMessage
from livechat.models import ChatSettings, Ground, Message, MessageReport
from livechat.protocol import ChatMessage, ChatNotice, ChatRemoved, ChatSettingsFrame
from livechat.services.history import message_state, open_reports
from livechat.services.notify import (
    record_transparency,
    tell_author,
    tell_moderators_queued,
    tell_moderators_unqueued,
)
from livechat.services.posting import checked_text
from livechat.text import MAX_LENGTH, clean
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room

MAX_SLOW_MODE = 3600
MAX_REASON = 200
MAX_NEW_ACCOUNT_MINUTES = 7 * 24 * 60
MAX_REPORT_THRESHOLD = 100


def _lock_message(message_id: int) -> Message | None:
    return (
        Message.objects.select_for_update(of=("self",))  # not the joined rows
        .select_related("session", "author", "reply_to__author")
        .filter(pk=message_id)
        .first()
    )


def _lock_message_to_moderate(message_id: int, user: AnyUser) -> Message:
    message = _lock_message(message_id)
    if message is None or not access.access_moderate_chat(user, message.session):
        raise UnknownMessage()
    return message


def _ground(ground: str) -> str:
    if ground not in Ground.values:
        raise InvalidMessage(gettext("Unknown ground."))
    return ground


def _remove(message: Message, status: str, *, user: AnyUser, ground: str, reason: str) -> None:
    """Take a message out of the room or the queue for good, and say so."""
    was_visible = message.status == Message.Status.VISIBLE
    was_queued = message.status == Message.Status.PENDING or message.needs_review
    message.status = status
    message.ground = _ground(ground)
    message.reason = clean(reason)[:MAX_REASON]
    message.needs_review = False
    message.reviewed_at = timezone.now()
    message.save(update_fields=["status", "ground", "reason", "needs_review", "reviewed_at"])
    log_action(
        actor=user,
        action=f"chat.{'hide' if status == Message.Status.HIDDEN else 'reject'}",
        session=message.session,
        message=message.pk,
        ground=message.ground,
        reason=message.reason,
    )
    if was_visible:
        record_event(session_room(message.session_id), ChatRemoved(id=message.pk, status=status))
    if was_queued:
        tell_moderators_unqueued(message)
    tell_author(message, ChatNotice(id=message.pk, status=status, reason=message.reason))
    record_transparency(message)


@transaction.atomic
def hide_message(
    message_id: int, *, user: AnyUser, ground: str = Ground.OTHER, reason: str = ""
) -> Message:
    """Hide a message from the room (visible, or held after reports)."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status not in {Message.Status.VISIBLE, Message.Status.PENDING}:
        return message
    _remove(message, Message.Status.HIDDEN, user=user, ground=ground, reason=reason)
    return message


@transaction.atomic
def reject_message(
    message_id: int, *, user: AnyUser, ground: str = Ground.OTHER, reason: str = ""
) -> Message:
    """Refuse a queued message: it never reaches the room (a visible one is hidden)."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status == Message.Status.PENDING:
        _remove(message, Message.Status.REJECTED, user=user, ground=ground, reason=reason)
    elif message.status == Message.Status.VISIBLE:
        _remove(message, Message.Status.HIDDEN, user=user, ground=ground, reason=reason)
    return message


@transaction.atomic
def approve_message(message_id: int, *, user: AnyUser, text: str | None = None) -> Message:
    """Publish a queued message, after replacing its text when ``text`` differs, or
    mark a visible one reviewed. The original text of an edit stays in the audit
    log; the room sees the message marked as edited by the moderation."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status not in {Message.Status.PENDING, Message.Status.VISIBLE}:
        raise InvalidMessage(gettext("This message is no longer waiting for review."))
    fields = ["status", "needs_review", "reviewed_at", "held_for"]
    details: dict[str, str] = {}
    if text is not None:
        text = checked_text(text, limit=MAX_LENGTH)
        if text != message.text:
            details["original"] = message.text
            message.text, message.edited = text, True
            fields += ["text", "edited"]
    was_visible = message.status == Message.Status.VISIBLE
    message.status = Message.Status.VISIBLE
    message.needs_review = False
    message.reviewed_at = timezone.now()
    message.held_for = ""
    message.save(update_fields=fields)
    log_action(
        actor=user, action="chat.approve", session=message.session, message=message.pk, **details
    )
    if not was_visible or details:
        record_event(session_room(message.session_id), ChatMessage(message=message_state(message)))
    tell_moderators_unqueued(message)
    return message


@transaction.atomic
def unhide_message(message_id: int, *, user: AnyUser) -> Message:
    """Put a hidden message back in the room."""
    message = _lock_message_to_moderate(message_id, user)
    if message.status != Message.Status.HIDDEN:
        return message
    message.status = Message.Status.VISIBLE
    message.ground = ""
    message.reviewed_at = timezone.now()
    message.save(update_fields=["status", "ground", "reviewed_at"])
    log_action(actor=user, action="chat.unhide", session=message.session, message=message.pk)
    record_event(session_room(message.session_id), ChatMessage(message=message_state(message)))
    record_transparency(message)
    return message


@transaction.atomic
def report_message(message_id: int, *, user: AnyUser, ground: str = Ground.OTHER) -> Message:
    """Report a visible message to the moderators; a second report by the same
    person changes nothing. At the chat's threshold of open reports the message
    leaves the room, held for review, and its author is told."""
    if not user.is_authenticated:
        raise LoginRequired()
    message = _lock_message(message_id)
    if message is None or not access.access_read_chat(user, message.session):
        raise UnknownMessage()
    if message.status != Message.Status.VISIBLE:
        return message  # already out of the room: nothing more to do
    if message.author_id == user.pk:
        raise InvalidMessage(gettext("You cannot report your own message."))
    try:
        with transaction.atomic():
            MessageReport.objects.create(message=message, user=user, ground=_ground(ground))
    except IntegrityError:  # reported already
        return message
    log_action(actor=user, action="chat.report", session=message.session, message=message.pk)
    settings = ChatSettings.of(message.session)
    threshold = settings.report_threshold
    if threshold and open_reports([message])[message.pk] >= threshold:
        message.status = Message.Status.PENDING
        message.held_for = Message.Held.REPORTS
        message.needs_review = False
        message.save(update_fields=["status", "held_for", "needs_review"])
        log_action(actor=None, action="chat.hold", session=message.session, message=message.pk)
        record_event(
            session_room(message.session_id), ChatRemoved(id=message.pk, status=message.status)
        )
        tell_author(message, ChatNotice(id=message.pk, status=message.status, reason=""))
    elif not message.needs_review:
        message.needs_review = True
        message.save(update_fields=["needs_review"])
    tell_moderators_queued(message)
    return message


def _lock_settings(session_id: int, user: AnyUser) -> ChatSettings:
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not access.access_moderate_chat(user, session):
        raise NotAllowed()
    settings, _ = ChatSettings.objects.select_for_update().get_or_create(session=session)
    return settings


def _announce_settings(settings: ChatSettings) -> None:
    frame = ChatSettingsFrame(slow_mode_seconds=settings.slow_mode_seconds, mode=settings.mode)
    record_event(session_room(settings.session_id), frame)


@transaction.atomic
def set_slow_mode(session_id: int, seconds: int, *, user: AnyUser) -> ChatSettings:
    """One message per ``seconds`` per participant; moderators are exempt."""
    settings = _lock_settings(session_id, user)
    if not 0 <= seconds <= MAX_SLOW_MODE:
        raise InvalidMessage()
    if settings.slow_mode_seconds == seconds:
        return settings
    settings.slow_mode_seconds = seconds
    settings.save(update_fields=["slow_mode_seconds"])
    log_action(actor=user, action="chat.slow_mode", session=settings.session, seconds=seconds)
    _announce_settings(settings)
    return settings


@transaction.atomic
def configure_chat(
    session_id: int,
    *,
    user: AnyUser,
    mode: str,
    slow_mode_seconds: int,
    new_account_minutes: int,
    report_threshold: int,
    blocked_words: str,
    starter_blocklists: bool,
    questions_premoderated: bool,
) -> ChatSettings:
    """Set every rule of a session's chat at once (the moderators' settings page).

    Changing the mode does not touch messages already posted: a message waiting in
    the queue stays there until a moderator decides.
    """
    settings = _lock_settings(session_id, user)
    entries = parse_entries(blocked_words)
    checks = [
        (mode in ChatSettings.Mode.values, gettext("Unknown moderation mode.")),
        (0 <= slow_mode_seconds <= MAX_SLOW_MODE, gettext("Slow mode is 0 to 3600 seconds.")),
        (
            0 <= new_account_minutes <= MAX_NEW_ACCOUNT_MINUTES,
            gettext("The delay for new accounts is at most a week."),
        ),
        (
            0 <= report_threshold <= MAX_REPORT_THRESHOLD,
            gettext("The report threshold is 0 (never hide) to 100."),
        ),
        (
            len(entries) <= MAX_ENTRIES,
            gettext("At most %(count)d blocked words.") % {"count": MAX_ENTRIES},
        ),
    ]
    for valid, problem in checks:
        if not valid:
            raise InvalidMessage(problem)
    changes = {
        "mode": mode,
        "slow_mode_seconds": slow_mode_seconds,
        "new_account_minutes": new_account_minutes,
        "report_threshold": report_threshold,
        "blocked_words": "\n".join(entries),
        "starter_blocklists": starter_blocklists,
        "questions_premoderated": questions_premoderated,
    }
    changed = {name: v for name, v in changes.items() if getattr(settings, name) != v}
    if not changed:
        return settings
    public = {"mode", "slow_mode_seconds"} & changed.keys()
    for name, value in changed.items():
        setattr(settings, name, value)
    settings.save(update_fields=list(changed))
    log_action(actor=user, action="chat.configure", session=settings.session, **changed)
    if public:
        _announce_settings(settings)
    return settings
