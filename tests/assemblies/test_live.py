"""Running a session: state changes, audit entries and the exact room events sent."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser

from assemblies.exceptions import InvalidState, NotAllowed, UnknownItem
from assemblies.models import AuditEntry, Role, Session
from assemblies.services import live
from plenary.realtime.models import RoomEvent
from plenary.realtime.rooms import session_room
from tests import factories

pytestmark = pytest.mark.django_db


def room_events(session: Session) -> list[dict[str, object]]:
    frames = RoomEvent.objects.filter(room=session_room(session.pk)).order_by("seq")
    return [json.loads(event.frame) for event in frames]


def test_start_makes_the_session_live_and_the_first_item_current(session, organiser):
    live.start_session(session.pk, user=organiser)

    session.refresh_from_db()
    first = session.agenda_items.get(position=1)
    assert session.status == Session.Status.LIVE
    assert session.started_at is not None
    assert session.current_item == first
    events = room_events(session)
    assert [(e["type"], e["seq"]) for e in events] == [
        ("session.status", 1),
        ("agenda.current", 2),
    ]
    assert events[0]["status"] == "live"
    assert events[1]["item"] == first.pk
    assert events[1]["title"] == "Point 1"
    assert list(AuditEntry.objects.values_list("action", "actor")) == [
        ("agenda.current", organiser.pk),
        ("session.start", organiser.pk),
    ]


def test_starting_twice_changes_nothing_the_second_time(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.start_session(session.pk, user=organiser)

    assert len(room_events(session)) == 2
    assert AuditEntry.objects.filter(action="session.start").count() == 1


def test_advance_moves_through_the_agenda_in_order(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.advance_agenda(session.pk, user=organiser)
    live.advance_agenda(session.pk, user=organiser)

    session.refresh_from_db()
    assert session.current_item.position == 3
    currents = [e["title"] for e in room_events(session) if e["type"] == "agenda.current"]
    assert currents == ["Point 1", "Point 2", "Point 3"]
    assert [e["seq"] for e in room_events(session)] == [1, 2, 3, 4]


def test_advancing_past_the_last_item_is_refused(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.select_agenda_item(session.pk, session.agenda_items.get(position=3).pk, user=organiser)

    with pytest.raises(InvalidState):
        live.advance_agenda(session.pk, user=organiser)
    session.refresh_from_db()
    assert session.current_item.position == 3


def test_select_goes_back_to_an_earlier_item_and_stamps_it(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.advance_agenda(session.pk, user=organiser)
    first = session.agenda_items.get(position=1)
    first_start = first.started_at

    live.select_agenda_item(session.pk, first.pk, user=organiser)

    first.refresh_from_db()
    session.refresh_from_db()
    assert session.current_item == first
    assert first.started_at > first_start
    assert room_events(session)[-1]["item"] == first.pk


def test_an_item_of_another_session_cannot_be_selected(session, organiser):
    other = factories.make_session(body=session.body)
    live.start_session(session.pk, user=organiser)

    with pytest.raises(UnknownItem):
        live.select_agenda_item(session.pk, other.agenda_items.first().pk, user=organiser)


def test_end_closes_a_live_session(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.end_session(session.pk, user=organiser)

    session.refresh_from_db()
    assert session.status == Session.Status.ENDED
    assert session.ended_at >= session.started_at
    ended_at = session.ended_at.isoformat().replace("+00:00", "Z")
    # Without a broadcast the room has no grace period: it closes with the session.
    assert room_events(session)[-2:] == [
        {
            "type": "session.status",
            "seq": 3,
            "status": "ended",
            "started_at": session.started_at.isoformat().replace("+00:00", "Z"),
            "ended_at": ended_at,
        },
        {"type": "room.status", "seq": 4, "open": False, "opens_at": None, "closes_at": ended_at},
    ]


def test_a_scheduled_session_cannot_be_ended_or_advanced(session, organiser):
    with pytest.raises(InvalidState):
        live.end_session(session.pk, user=organiser)
    with pytest.raises(InvalidState):
        live.advance_agenda(session.pk, user=organiser)
    assert room_events(session) == []


def test_an_ended_session_cannot_start_again(session, organiser):
    live.start_session(session.pk, user=organiser)
    live.end_session(session.pk, user=organiser)

    with pytest.raises(InvalidState):
        live.start_session(session.pk, user=organiser)


@pytest.mark.parametrize("role", [None, Role.Kind.MODERATOR, Role.Kind.NOTE_TAKER])
def test_only_organisers_run_a_session(session, role):
    user = factories.make_user()
    if role is not None:
        factories.grant(user, role, body=session.body)

    with pytest.raises(NotAllowed):
        live.start_session(session.pk, user=user)
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
    assert room_events(session) == []
    assert not AuditEntry.objects.exists()


def test_anonymous_visitors_cannot_run_a_session(session):
    with pytest.raises(NotAllowed):
        live.start_session(session.pk, user=AnonymousUser())


def test_an_organiser_of_the_event_runs_its_sessions(db):
    event = factories.make_event()
    session = factories.make_session(event=event)
    user = factories.make_user()
    factories.grant(user, Role.Kind.ORGANISER, event=event)

    live.start_session(session.pk, user=user)

    session.refresh_from_db()
    assert session.is_live


def test_an_organiser_of_another_body_cannot_run_it(session):
    stranger = factories.make_organiser(factories.make_session())

    with pytest.raises(NotAllowed):
        live.start_session(session.pk, user=stranger)


def test_a_missing_session_looks_like_a_forbidden_one(organiser):
    with pytest.raises(NotAllowed):
        live.start_session(999999, user=organiser)


def test_a_repeated_advance_moves_once(session, organiser):
    live.start_session(session.pk, user=organiser)
    first = session.agenda_items.get(position=1)

    live.advance_agenda(session.pk, user=organiser, after=first.pk)
    live.advance_agenda(session.pk, user=organiser, after=first.pk)  # the double click

    session.refresh_from_db()
    assert session.current_item.position == 2
    assert [e["title"] for e in room_events(session) if e["type"] == "agenda.current"] == [
        "Point 1",
        "Point 2",
    ]
