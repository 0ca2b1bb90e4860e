"""Small builders for test data: each returns a saved object with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from assemblies.models import AgendaItem, Body, Event, Organisation, Role, Session, Venue
from streaming.models import Stream

_n = itertools.count(1)


def make_organisation(**fields: object) -> Organisation:
    n = next(_n)
    return Organisation.objects.create(**{"name": f"Ville {n}", "slug": f"ville-{n}", **fields})


def make_body(organisation: Organisation | None = None, **fields: object) -> Body:
    n = next(_n)
    organisation = organisation or make_organisation()
    defaults = {
        "name": f"Comité de quartier {n}",
        "slug": f"cq-{n}",
        "kind": Body.Kind.NEIGHBOURHOOD_COMMITTEE,
        "charter": "Le comité est ouvert à tous les habitants du quartier.",
    }
    return Body.objects.create(organisation=organisation, **{**defaults, **fields})


def make_event(organisation: Organisation | None = None, **fields: object) -> Event:
    n = next(_n)
    organisation = organisation or make_organisation()
    defaults = {"title": f"Assises {n}", "slug": f"assises-{n}", "hashtag": "assmednum"}
    return Event.objects.create(organisation=organisation, **{**defaults, **fields})


def make_venue(organisation: Organisation, **fields: object) -> Venue:
    defaults = {"name": "Salle des fêtes", "address": "1 place de la Mairie, 94230 Cachan"}
    return Venue.objects.create(organisation=organisation, **{**defaults, **fields})


def make_session(
    *, body: Body | None = None, event: Event | None = None, items: int = 3, **fields: object
) -> Session:
    if body is None and event is None:
        body = make_body()
    starts = timezone.now() + timedelta(minutes=5)
    defaults = {
        "title": "Réunion publique",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
    }
    session = Session.objects.create(body=body, event=event, **{**defaults, **fields})
    for position in range(1, items + 1):
        AgendaItem.objects.create(
            session=session, position=position, title=f"Point {position}", planned_minutes=10
        )
    return session


def make_user(
    username: str | None = None, *, password: str | None = None, **fields: object
) -> User:
    username = username or f"user{next(_n)}"
    user = User(username=username, display_name=fields.pop("display_name", username.title()))
    for key, value in fields.items():
        setattr(user, key, value)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


def grant(user: User, kind: str, *, body: Body | None = None, event: Event | None = None) -> Role:
    return Role.objects.create(user=user, kind=kind, body=body, event=event)


def make_organiser(session: Session, **fields: object) -> User:
    user = make_user(**fields)
    if session.body is not None:
        grant(user, Role.Kind.ORGANISER, body=session.body)
    else:
        grant(user, Role.Kind.ORGANISER, event=session.event)
    return user


def make_note_taker(session: Session, **fields: object) -> User:
    """A note-taker on the session's body (or event): writes its minutes."""
    user = make_user(**fields)
    if session.body is not None:
        grant(user, Role.Kind.NOTE_TAKER, body=session.body)
    else:
        grant(user, Role.Kind.NOTE_TAKER, event=session.event)
    return user


def make_stream(session: Session, **fields: object) -> Stream:
    """The session's broadcast: the platform's ingest unless told otherwise."""
    defaults: dict[str, object] = {"kind": Stream.Kind.INGEST}
    return Stream.objects.create(session=session, **{**defaults, **fields})
