"""Move a session's broadcast: scheduled -> live -> ended (-> replay), or cancelled.

Two kinds of callers move it: organisers (the console, over the session socket or
its forms), who pass ``user``; and ingest hooks (nginx-rtmp, MediaMTX, Owncast),
which pass the stream ``key`` the encoder published with. Every service locks the
stream row (``select_for_update``; SQLite serialises writers anyway), so a hook
and an organiser pressing *start* at the same moment act one after the other on
the state the first left: the second finds the broadcast live and does nothing.
Repeated and late calls (a hook retried, ``publish_done`` after a manual end)
change nothing and emit nothing.

Each change writes an audit entry and records one ``stream.status`` event in the
session's room, published after commit; a broadcast going live opens the room, and
its hours (``room_hours``) are the room's: ``room.status`` follows when it opens
or closes.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.room_window import Hours, RoomWindow, room_window
from assemblies.services.audit import log_action
from assemblies.services.room import announce_room
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_room
from streaming import access
from streaming.exceptions import InvalidState, NotAllowed, WrongKey
from streaming.models import Stream, new_stream_key
from streaming.protocol import Source, StreamStatus
from streaming.services import chapters, sources

Status = Stream.Status


def room_hours(session: Session) -> Hours | None:
    """The room hours of a session with a broadcast (registered with ``assemblies``)."""
    try:
        stream = session.stream
    except Stream.DoesNotExist:
        return None
    return Hours(
        preopen=timedelta(minutes=stream.preopen_minutes),
        grace=timedelta(minutes=stream.grace_minutes),
        on_air=stream.status == Status.LIVE,
    )


def _window(stream: Stream) -> RoomWindow:
    # The session reads its hours from this very (locked, changing) row.
    stream.session.stream = stream
    return room_window(stream.session)


def _lock_for_running(session_id: int, user: AnyUser) -> Stream:
    stream = (
        Stream.objects.select_for_update().select_related("session").filter(session_id=session_id)
    ).first()
    if stream is None:
        session = Session.objects.filter(pk=session_id).first()
        if session is None or not access.access_run_stream(user, session):
            raise NotAllowed()
        raise InvalidState(gettext("Set the video source of this session first."))
    if not access.access_run_stream(user, stream.session):
        raise NotAllowed()
    return stream


def _lock_by_key(key: str) -> Stream:
    """The ingest stream published with ``key``; anything else is refused alike."""
    if not key or len(key) > 64:
        raise WrongKey()
    stream = (
        Stream.objects.select_for_update()
        .select_related("session")
        .filter(key=key, kind=Stream.Kind.INGEST)
        .first()
    )
    if stream is None:
        raise WrongKey()
    return stream


def describe_source(stream: Stream) -> Source | None:
    """What a page plays in the stream's current state."""
    if stream.status == Status.LIVE:
        playable = sources.live_source(stream)
    elif stream.status == Status.REPLAY:
        playable = sources.replay_source(stream)
    else:
        playable = None
    if playable is None:
        return None
    return Source(
        kind=playable.kind,
        url=playable.url,
        provider=playable.provider,
        click_to_load=playable.click_to_load,
    )


def status_frame(stream: Stream) -> StreamStatus:
    return StreamStatus(
        status=stream.status,
        started_at=stream.started_at,
        ended_at=stream.ended_at,
        source=describe_source(stream),
        chapters=chapters.chapters(stream) if stream.status == Status.REPLAY else [],
    )


def _announce(
    stream: Stream, *, actor: AnyUser | None, via: str, before: RoomWindow | None = None
) -> None:
    log_action(actor=actor, action=f"stream.{stream.status}", session=stream.session, via=via)
    record_event(session_room(stream.session_id), status_frame(stream))
    if before is not None:
        announce_room(stream.session, before)


def _go_live(stream: Stream, *, actor: AnyUser | None, via: str) -> bool:
    if stream.status == Status.LIVE:
        return False
    resumable = stream.status == Status.ENDED and stream.session.status not in {
        Session.Status.ENDED,
        Session.Status.CANCELLED,
    }
    if stream.status != Status.SCHEDULED and not resumable:
        raise InvalidState()
    before = _window(stream)
    stream.status = Status.LIVE
    # A broadcast that resumes after a drop keeps its first start: the replay's
    # chapters count from there.
    stream.started_at = stream.started_at or timezone.now()
    stream.ended_at = None
    stream.save(update_fields=["status", "started_at", "ended_at"])
    _announce(stream, actor=actor, via=via, before=before)
    return True


def _end(stream: Stream, *, actor: AnyUser | None, via: str) -> bool:
    if stream.status != Status.LIVE:
        return False
    before = _window(stream)
    stream.status = (
        Status.REPLAY
        if stream.replay_url
        or stream.kind
        in {
            Stream.Kind.YOUTUBE,
            Stream.Kind.PEERTUBE,
        }
        else Status.ENDED
    )
    stream.ended_at = timezone.now()
    stream.save(update_fields=["status", "ended_at"])
    _announce(stream, actor=actor, via=via, before=before)
    return True


@transaction.atomic
def start_broadcast(session_id: int, *, user: AnyUser) -> Stream:
    """Go live by hand (a source with no ingest hooks, or to override them)."""
    stream = _lock_for_running(session_id, user)
    _go_live(stream, actor=user, via="console")
    return stream


@transaction.atomic
def end_broadcast(session_id: int, *, user: AnyUser) -> Stream:
    """End a live broadcast; the replay follows when it has one. Ending again is a no-op."""
    stream = _lock_for_running(session_id, user)
    if stream.status in {Status.SCHEDULED, Status.CANCELLED}:
        raise InvalidState()
    _end(stream, actor=user, via="console")
    return stream


@transaction.atomic
def cancel_broadcast(session_id: int, *, user: AnyUser) -> Stream:
    """Announce there will be no broadcast (the room can still follow in text)."""
    stream = _lock_for_running(session_id, user)
    if stream.status == Status.CANCELLED:
        return stream
    if stream.status != Status.SCHEDULED:
        raise InvalidState()
    stream.status = Status.CANCELLED
    stream.save(update_fields=["status"])
    _announce(stream, actor=user, via="console")
    return stream


@transaction.atomic
def ingest_started(key: str, *, via: str) -> Stream:
    """An encoder started publishing with ``key``: go live.

    Refused (``InvalidState``) when the broadcast was cancelled or its replay is
    out: the RTMP server then refuses the encoder.
    """
    stream = _lock_by_key(key)
    _go_live(stream, actor=None, via=via)
    return stream


@transaction.atomic
def ingest_stopped(key: str, *, via: str) -> Stream:
    """The encoder stopped: end the broadcast if it is live, else change nothing."""
    stream = _lock_by_key(key)
    _end(stream, actor=None, via=via)
    return stream


@transaction.atomic
def configure_stream(
    session_id: int,
    *,
    user: AnyUser,
    kind: str,
    url: str,
    replay_url: str,
    preopen_minutes: int,
    grace_minutes: int,
) -> Stream:
    """Set the session's video source, replay and room hours (creating its stream).

    Giving an ended broadcast a replay makes the replay available to every open page.
    """
    session = Session.objects.select_for_update().filter(pk=session_id).first()
    if session is None or not access.access_run_stream(user, session):
        raise NotAllowed()
    url = sources.check_source(kind, url)
    replay_url = sources.check_url(replay_url) if replay_url.strip() else ""
    before = room_window(session)  # the session's own hours when it had no stream
    stream, _ = Stream.objects.select_for_update().get_or_create(session=session)
    stream.session = session  # one row, read by the room's hours below
    stream.kind, stream.url, stream.replay_url = kind, url, replay_url
    stream.preopen_minutes, stream.grace_minutes = preopen_minutes, grace_minutes
    if stream.status == Status.ENDED and replay_url:
        stream.status = Status.REPLAY
    stream.save()
    log_action(
        actor=user,
        action="stream.configure",
        session=session,
        kind=kind,
        url=url,
        replay=replay_url,
    )
    # Pages playing the old source, or waiting for the replay, switch.
    record_event(session_room(session.pk), status_frame(stream))
    announce_room(session, before)
    return stream


@transaction.atomic
def regenerate_key(session_id: int, *, user: AnyUser) -> Stream:
    """Give the stream a new secret key; the old one stops working at once."""
    stream = _lock_for_running(session_id, user)
    stream.key = new_stream_key()
    stream.save(update_fields=["key"])
    log_action(actor=user, action="stream.new_key", session=stream.session)
    return stream
