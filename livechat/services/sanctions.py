"""Barring a participant from posting in a session's chat: ban and timeout.

A sanction stops posts, not reading. A ban lasts until a moderator lifts it; a
timeout ends by itself at ``until``. Only one sanction is active per person and
session: a new one replaces the last (its row is kept, marked lifted). Moderators
and organisers cannot be sanctioned. The person is told on their own sockets, and
every action is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext

from accounts.models import User
from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.services.audit import log_action
from livechat import access
from livechat.exceptions import InvalidMessage, NotAllowed
from livechat.models import Sanction
from livechat.protocol import ChatRestriction, Restriction
from livechat.services.notify import tell_user
from livechat.text import clean

MAX_REASON = 200


def active_sanction(session_id: int, user_id: int) -> Sanction | None:
    now = timezone.now()
    return (
        Sanction.objects.filter(session_id=session_id, user_id=user_id, lifted_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        .order_by("-created_at")
        .first()
    )


def restriction(sanction: Sanction | None) -> Restriction | None:
    if sanction is None:
        return None
    return Restriction(kind=sanction.kind, until=sanction.until, reason=sanction.reason)


def describe_sanction(sanction: Sanction) -> str:
    """What the person reads when they try to post."""
    if sanction.until is None:
        text = gettext("A moderator has barred you from posting in this chat.")
    else:
        until = formats.time_format(timezone.localtime(sanction.until), "H:i")
        text = gettext("A moderator has paused your posting until %(time)s.") % {"time": until}
    if sanction.reason:
        text += " " + gettext("Reason: %(reason)s") % {"reason": sanction.reason}
    return text


def _lock_session_to_moderate(session_id: int, user: AnyUser) -> Session:
    session = Session.objects.select_for_update().filter(pk=session_id).first()
    if session is None or not access.access_moderate_chat(user, session):
        raise NotAllowed()
    return session


@transaction.atomic
def sanction_user(
    session_id: int,
    target_id: int,
    *,
    user: AnyUser,
    minutes: int | None = None,
    reason: str = "",
) -> Sanction:
    """Ban ``target_id`` from posting (``minutes`` None) or time them out.

    Locks the session row, so two moderators acting at once leave one active
    sanction.
    """
    session = _lock_session_to_moderate(session_id, user)
    target = User.objects.filter(pk=target_id).first()
    if target is None:
        raise InvalidMessage(gettext("This participant does not exist."))
    if target.pk == user.pk or access.access_moderate_chat(target, session):
        raise InvalidMessage(gettext("Moderators and organisers cannot be barred."))
    now = timezone.now()
    Sanction.objects.filter(session=session, user=target, lifted_at__isnull=True).update(
        lifted_at=now
    )
    sanction = Sanction.objects.create(
        session=session,
        user=target,
        kind=Sanction.Kind.BAN if minutes is None else Sanction.Kind.TIMEOUT,
        until=None if minutes is None else now + timedelta(minutes=minutes),
        reason=clean(reason)[:MAX_REASON],
        created_by=user if user.is_authenticated else None,
    )
    log_action(
        actor=user,
        action=f"chat.{sanction.kind}",
        session=session,
        user=target.pk,
        minutes=minutes,
        reason=sanction.reason,
    )
    tell_user(session.pk, target.pk, ChatRestriction(restriction=restriction(sanction)))
    return sanction


@transaction.atomic
def lift_sanction(session_id: int, target_id: int, *, user: AnyUser) -> None:
    """Let ``target_id`` post again; nothing happens when they were not barred."""
    session = _lock_session_to_moderate(session_id, user)
    lifted = Sanction.objects.filter(
        session=session, user_id=target_id, lifted_at__isnull=True
    ).update(lifted_at=timezone.now())
    if lifted:
        log_action(actor=user, action="chat.lift", session=session, user=target_id)
        tell_user(session.pk, target_id, ChatRestriction(restriction=None))
