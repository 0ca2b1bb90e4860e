"""Presence and attendance: counts stay exact through tabs, reconnect storms and dead processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from assemblies.models import Attendance
from assemblies.services import presence
from plenary.asgi import application
from streaming.services.audience import rounded
from tests import factories
from tests.conftest import login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("room_hub")]

ORIGIN = (b"origin", b"http://127.0.0.1")


async def connect(session_id: int, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie.encode())] if cookie else [])
    socket = WebsocketCommunicator(application, f"/ws/sessions/{session_id}/", headers=headers)
    # A storm queues its handshakes behind one database thread: allow for it.
    connected, _ = await socket.connect(timeout=10)
    assert connected
    return socket


def attendance(session, user) -> Attendance:
    return Attendance.objects.get(session=session, user=user)


def open_pages(session, user) -> int:
    row = Attendance.objects.filter(session=session, user=user).first()
    return row.open_sockets if row else 0


async def until(check) -> None:
    """Wait until ``check()`` (run in the database thread) is true.

    A socket is counted just after its opening frames, a little after the
    handshake that ``connect()`` waits for. Gives up after 5 s.
    """
    for _ in range(100):
        if await database_sync_to_async(check)():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize(
    ("viewers", "shown"),
    [(0, (0, False)), (9, (9, False)), (10, (10, True)), (118, (120, True)), (2345, (2300, True))],
)
def test_the_public_count_is_rounded(viewers, shown):
    assert rounded(viewers) == shown


async def test_two_tabs_make_one_visit_with_its_minutes(participant):
    session = await database_sync_to_async(factories.make_session)()
    cookie = await login_cookie(participant)

    first = await connect(session.pk, cookie)
    second = await connect(session.pk, cookie)
    await until(lambda: open_pages(session, participant) == 2)
    await first.disconnect()
    row = await database_sync_to_async(attendance)(session, participant)
    assert (row.open_sockets, row.last_left_at) == (1, None)
    await second.disconnect()

    row = await database_sync_to_async(attendance)(session, participant)
    assert row.open_sockets == 0
    assert row.first_joined_at is not None
    assert row.last_left_at is not None
    assert presence.viewers(session.pk).sockets == 0


async def test_a_reconnect_storm_leaves_the_counts_exact():
    session = await database_sync_to_async(factories.make_session)()
    users = [await database_sync_to_async(factories.make_user)() for _ in range(10)]
    cookies = [await login_cookie(user) for user in users]

    sockets = await asyncio.gather(*(connect(session.pk, c) for c in cookies * 2))
    sockets += await asyncio.gather(*(connect(session.pk) for _ in range(20)))
    await until(lambda: presence.viewers(session.pk).sockets == 40)
    # Everyone drops at once and comes back at once, interleaved.
    await asyncio.gather(*(s.disconnect(timeout=10) for s in sockets))
    sockets = await asyncio.gather(*(connect(session.pk, c) for c in cookies))
    await until(lambda: presence.viewers(session.pk).sockets == 10)

    found = presence.viewers(session.pk)
    assert (found.sockets, found.anonymous, len(found.users)) == (10, 0, 10)
    rows = await database_sync_to_async(list)(Attendance.objects.filter(session=session))
    assert sorted(r.open_sockets for r in rows) == [1] * 10
    await asyncio.gather(*(s.disconnect(timeout=10) for s in sockets))
    rows = await database_sync_to_async(list)(Attendance.objects.filter(session=session))
    assert sorted(r.open_sockets for r in rows) == [0] * 10


def test_pages_left_open_by_a_dead_process_are_closed_at_their_last_refresh(session, participant):
    now = timezone.now()
    Attendance.objects.create(
        session=session,
        user=participant,
        first_joined_at=now - timedelta(hours=2),
        present_since=now - timedelta(hours=2),
        seen_at=now - timedelta(hours=1),
        open_sockets=3,
    )

    assert presence.minutes_present(attendance(session, participant), now=now) == 60
    presence._arrived(session.pk, participant.pk)

    row = attendance(session, participant)
    assert row.open_sockets == 1
    assert row.seconds_present == 3600
    assert presence.minutes_present(row, now=row.present_since) == 60
