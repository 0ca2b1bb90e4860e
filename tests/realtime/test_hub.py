"""The room hub: in-order, gap-free, duplicate-free delivery, and bounded outboxes."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from plenary.realtime.bus import get_bus
from plenary.realtime.events import publish_ephemeral, record_event
from plenary.realtime.hub import Outbox
from plenary.realtime.models import RoomEvent, RoomSequence
from plenary.realtime.protocol import Frame, Pong


class Note(Frame, tag="test.note", kw_only=True):
    seq: int = 0
    text: str


pytestmark = [pytest.mark.django_db(transaction=True)]

ROOM = "test.hub"


def store_events(count: int) -> list[str]:
    """Write events 1..count to the log without publishing them; return their frames."""
    frames = [f'{{"type":"pong","ref":"{n}","seq":{n}}}' for n in range(1, count + 1)]
    RoomSequence.objects.update_or_create(room=ROOM, defaults={"last_seq": count})
    for n, frame in enumerate(frames, start=1):
        RoomEvent.objects.create(room=ROOM, seq=n, type="pong", frame=frame)
    return frames


async def drain(outbox: Outbox, count: int) -> list[tuple[int, str]]:
    """Take ``count`` frames from an outbox that was never started (so it queues all)."""
    received: list[tuple[int, str]] = []
    async with asyncio.timeout(3):
        while len(received) < count:
            await outbox.wait()
            received += outbox.frames
            outbox.frames.clear()
    return received


def never_overflows() -> None:
    raise AssertionError("outbox overflowed")


async def test_events_published_out_of_order_arrive_in_order(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)
    frames = await database_sync_to_async(store_events)(3)

    get_bus().publish(ROOM, 3, frames[2])  # overtook 1 and 2
    received = await drain(outbox, 3)
    get_bus().publish(ROOM, 2, frames[1])  # the late one, already read back from the log
    get_bus().publish(ROOM, 1, frames[0])
    await asyncio.sleep(0.2)

    assert received == [(1, frames[0]), (2, frames[1]), (3, frames[2])]
    assert not outbox.frames


async def test_late_events_arriving_during_a_fill_do_not_make_the_next_gap_look_lost(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)
    frames = await database_sync_to_async(store_events)(5)

    bus = get_bus()
    bus.publish(ROOM, 3, frames[2])  # overtook 1 and 2: a fill starts reading them
    bus.publish(ROOM, 1, frames[0])  # ...which arrive while it reads,
    bus.publish(ROOM, 2, frames[1])
    bus.publish(ROOM, 5, frames[4])  # and 5 overtakes 4, which the fill never read
    received = await drain(outbox, 5)
    bus.publish(ROOM, 4, frames[3])  # late: already read back from the log
    await asyncio.sleep(0.2)

    assert received == [(n, frames[n - 1]) for n in range(1, 6)]
    assert not outbox.frames


async def test_events_committed_by_services_reach_the_room_once_each(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)

    def emit(n: int) -> None:
        with transaction.atomic():
            record_event(ROOM, Note(text=str(n)))

    await asyncio.gather(*(database_sync_to_async(emit)(n) for n in range(10)))

    received = await drain(outbox, 10)
    assert [seq for seq, _ in received] == list(range(1, 11))
    await asyncio.sleep(0.1)
    assert not outbox.frames


async def test_a_rolled_back_transaction_publishes_nothing(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)

    def emit_then_fail() -> None:
        with transaction.atomic():
            record_event(ROOM, Note(text="x"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(emit_then_fail)()
    await asyncio.sleep(0.2)

    assert not outbox.frames
    assert not await RoomEvent.objects.filter(room=ROOM).aexists()


async def test_a_socket_joining_later_only_gets_later_events(room_hub):
    await database_sync_to_async(store_events)(2)
    outbox = Outbox(100, never_overflows)

    await room_hub.join(ROOM, outbox)
    get_bus().publish(ROOM, 2, "old")
    get_bus().publish(ROOM, 3, "new")

    assert await drain(outbox, 1) == [(3, "new")]


async def test_ephemeral_frames_pass_straight_through(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)

    await database_sync_to_async(publish_ephemeral)(ROOM, Pong(ref="count"))

    assert await drain(outbox, 1) == [(0, '{"type":"pong","ref":"count"}')]


async def test_a_full_outbox_is_flagged_once_and_others_still_receive(room_hub):
    overflows: list[int] = []
    slow = Outbox(2, lambda: overflows.append(1))
    fast = Outbox(100, never_overflows)
    await room_hub.join(ROOM, slow)
    await room_hub.join(ROOM, fast)

    for n in range(1, 6):
        get_bus().publish(ROOM, 0, f"frame {n}")

    assert len(await drain(fast, 5)) == 5
    assert overflows == [1]
    assert slow.overflowed
    assert not slow.frames  # dropped: the socket is closing and its client will resume


async def test_a_big_room_is_fanned_out_in_chunks_between_which_the_loop_runs(
    room_hub, monkeypatch
):
    monkeypatch.setattr("plenary.realtime.hub.FAN_OUT_CHUNK", 2)
    outboxes = [Outbox(100, never_overflows) for _ in range(5)]
    for outbox in outboxes:
        await room_hub.join(ROOM, outbox)

    room_hub.deliver(ROOM, 0, "first")  # as the bus does, on the hub's loop
    reached_at_once = sum(bool(outbox.frames) for outbox in outboxes)
    room_hub.deliver(ROOM, 0, "second")  # arrives while the first is going out
    room_hub.deliver(ROOM, 0, "third")

    assert reached_at_once == 2
    for outbox in outboxes:
        assert await drain(outbox, 3) == [(0, "first"), (0, "second"), (0, "third")]


async def test_the_room_is_dropped_when_its_last_socket_leaves(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)
    await room_hub.leave(ROOM, outbox)

    get_bus().publish(ROOM, 0, "after")
    await asyncio.sleep(0.2)

    assert room_hub.local_count(ROOM) == 0
    assert not outbox.frames


async def test_a_lost_publication_is_recovered_from_the_log(room_hub, monkeypatch):
    monkeypatch.setattr("plenary.realtime.hub.GAP_CHECK_SECONDS", 0.1)
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)

    frames = await database_sync_to_async(store_events)(2)  # stored, never published

    assert await drain(outbox, 2) == [(1, frames[0]), (2, frames[1])]


async def test_commits_from_many_threads_reach_the_room_in_order(room_hub):
    outbox = Outbox(100, never_overflows)
    await room_hub.join(ROOM, outbox)

    def emit(n: int) -> None:
        with transaction.atomic():
            record_event(ROOM, Note(text=str(n)))

    await asyncio.gather(
        *(database_sync_to_async(emit, thread_sensitive=False)(n) for n in range(20))
    )

    received = await drain(outbox, 20)
    assert [seq for seq, _ in received] == list(range(1, 21))
