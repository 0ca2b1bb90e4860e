"""The history of the minutes: revisions, who wrote what, restoring a revision.

Nothing is recorded for the history alone: the update log already holds every
edit, in order, with its author and time, and it is kept whole (compaction adds
snapshots, it deletes nothing). From it:

- **Revisions** are stretches of editing: consecutive updates, cut where the
  writers paused for ``PAUSE`` or after ``SPAN`` of continuous typing (a 3-hour
  session makes a few hundred, whatever the number of writers), with a revision
  of its own for the agenda skeleton and for each restore. A revision is named by
  the id of its last update (``upto``); its content is the document after it.
- **Authorship**: every struct of a Yjs update carries its writer's client id
  (one per browser tab), and a client's first update holds its clock 0: the
  author row of that update maps the client to a person (``_new_clients``). The
  browser colours each passage by the client id of its items
  (``frontend/src/minutes-history.js``).
- **Restore** is a new edit: the note-taker's browser turns the current document
  into the revision's with y-prosemirror's own diff (unchanged passages keep their
  items and authors) and sends that one update here; it is validated against the
  stored document, appended to the log like any edit (``append_updates``), written
  to the audit log, then relayed to the live rooms. Whatever was written after the
  revision stays in the log, so it can be seen and restored in turn.

Example::

    history = list_revisions(minutes.pk)
    content = revision_content(minutes.pk, history.revisions[2].upto)
    content.state      # the document then, as one Yjs update
    content.clients    # {client id: author key}, e.g. {2791: "u12", 88: "agenda"}
    restore_revision(session.pk, upto=content.upto, update=diff, user=note_taker)

A revision is rebuilt when asked for, from the latest snapshot before it (or the
log's start) and the updates after: replaying 30,000 keystrokes (a 3-hour
session with several note-takers) takes pycrdt about 0.1 s on this project's
machines, so the history keeps no checkpoints of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pycrdt
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import AuditEntry
from assemblies.services.audit import log_action
from minutes import access
from minutes.exceptions import InvalidUpdate, MinutesLocked, NotAllowed
from minutes.models import Minutes, MinutesSnapshot, MinutesUpdate
from minutes.protocol import EMPTY_UPDATE, decode_state_vector
from minutes.services import store
from minutes.services.document import UpdateRejected, apply_update, load_doc
from minutes.services.rooms import MAX_DOCUMENT_BYTES
from minutes.services.store import load_document

#: A pause this long between two updates starts a new revision.
PAUSE = timedelta(seconds=30)
#: A revision spans at most this long, however steadily people type.
SPAN = timedelta(seconds=60)
#: Colours an author can be given (``.authorship--<n>`` in main.css).
PALETTE_SIZE = 8
#: Author keys of the text nobody in particular wrote.
AGENDA = "agenda"
UNKNOWN = "unknown"
#: The audit action of a restore (its data: ``revision``, ``update``).
RESTORE_ACTION = "minutes.restore"


@dataclass(frozen=True)
class Author:
    """Someone whose text is in the minutes, as the history shows them."""

    key: str  # "u<user id>", AGENDA or UNKNOWN
    name: str
    colour: int | None  # an index into the palette; None for the agenda skeleton


@dataclass(frozen=True)
class Revision:
    """A stretch of editing; its content is the document after update ``upto``."""

    upto: int
    started_at: datetime
    ended_at: datetime
    authors: tuple[str, ...]  # author keys, in the order they first wrote in it
    restored: int | None = None  # a restore: the revision it brought back


@dataclass(frozen=True)
class History:
    revisions: list[Revision]
    authors: dict[str, Author] = field(default_factory=dict)


@dataclass(frozen=True)
class RevisionContent:
    upto: int
    state: bytes  # the whole document after ``upto``, as one Yjs update (v1)
    clients: dict[int, str]  # Yjs client id -> author key, for the clients in ``state``


def minutes_for_history(session_id: int, *, user: AnyUser) -> Minutes:
    """The minutes of session ``session_id`` if ``user`` may read their history."""
    minutes = Minutes.objects.select_related("session").filter(session_id=session_id).first()
    if minutes is None or not access.access_read_history(user, minutes):
        raise NotAllowed()
    return minutes


def list_revisions(minutes_id: int) -> History:
    """The revisions of the minutes, oldest first, and everyone who wrote in them."""
    rows = list(
        MinutesUpdate.objects.filter(minutes_id=minutes_id)
        .order_by("pk")
        .values_list("pk", "author_id", "created_at")
    )
    first = rows[0][0] if rows else None
    restores = _restores(minutes_id)
    revisions = _folded_snapshots(minutes_id, first)
    skeleton = first if not revisions else None  # else folded into a snapshot
    keys: list[str] = [UNKNOWN] if revisions else []
    current: list[tuple[int, str, datetime]] = []

    def close() -> None:
        if current:
            authors = tuple(dict.fromkeys(key for _, key, _ in current))
            upto = current[-1][0]
            revisions.append(
                Revision(upto, current[0][2], current[-1][2], authors, restores.get(upto))
            )
            current.clear()

    for pk, author_id, created_at in rows:
        key = _author_key(author_id, skeleton=pk == skeleton)
        keys.append(key)
        if current and (
            created_at - current[-1][2] > PAUSE
            or created_at - current[0][2] > SPAN
            or pk in restores
            or current[-1][0] in restores
            or current[-1][1] == AGENDA
        ):
            close()
        current.append((pk, key, created_at))
    close()
    return History(revisions, _authors(keys))


def revision_content(minutes_id: int, upto: int) -> RevisionContent:
    """The document as it was after update ``upto``, and who wrote its passages.

    Raises ``NotAllowed`` when ``upto`` is not a revision of these minutes (an
    update id of their log, or a snapshot whose updates are no longer kept).
    """
    if not 0 < upto < 2**63 or not (
        MinutesUpdate.objects.filter(minutes_id=minutes_id, pk=upto).exists()
        or MinutesSnapshot.objects.filter(minutes_id=minutes_id, upto=upto).exists()
    ):
        raise NotAllowed()  # before reading the log up to it
    with transaction.atomic():
        rows = [
            (pk, author_id, bytes(data))
            for pk, author_id, data in MinutesUpdate.objects.filter(
                minutes_id=minutes_id, pk__lte=upto
            )
            .order_by("pk")
            .values_list("pk", "author_id", "data")
        ]
        first = (
            MinutesUpdate.objects.filter(minutes_id=minutes_id)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        # The latest snapshot at or before ``upto`` spares replaying what it folds.
        base = (
            MinutesSnapshot.objects.filter(minutes_id=minutes_id, upto__lte=upto)
            .order_by("-upto")
            .values_list("state", "upto")
            .first()
        )
    if not (rows and rows[-1][0] == upto) and not (base and base[1] == upto):
        raise NotAllowed()
    skeleton = first if first is not None and (base is None or base[1] >= first) else None
    clients: dict[int, str] = {}
    for pk, author_id, data in rows:
        key = _author_key(author_id, skeleton=pk == skeleton)
        for client in _new_clients(data):
            clients.setdefault(client, key)
    floor = base[1] if base else 0
    doc = load_doc(([bytes(base[0])] if base else []) + [d for pk, _, d in rows if pk > floor])
    present = decode_state_vector(doc.get_state())
    return RevisionContent(
        upto, doc.get_update(), {client: clients.get(client, UNKNOWN) for client in present}
    )


def restore_revision(session_id: int, *, upto: int, update: bytes, user: AnyUser) -> int:
    """Store ``update``, which brings revision ``upto`` back, as ``user``'s edit.

    The update is computed by the writer's browser against the document it last
    read; edits made meanwhile by others merge with it as with any edit. It must
    apply to the stored document in full (``InvalidUpdate`` otherwise). Only
    writers restore, only while the minutes are editable (``MinutesLocked``); the
    status is checked again as the update is stored, under the minutes row lock.
    Returns the id of the stored update, which is relayed to the live rooms after
    the commit.
    """
    minutes = minutes_for_history(session_id, user=user)
    if not access.access_write_minutes(user, minutes):
        raise MinutesLocked()
    if not MinutesUpdate.objects.filter(minutes=minutes, pk=upto).exists() and not (
        MinutesSnapshot.objects.filter(minutes=minutes, upto=upto).exists()
    ):
        raise NotAllowed()
    _check_update(minutes.pk, update)
    with transaction.atomic():
        update_id = store.append_server_edit(minutes.pk, update, user.pk, "history")
        log_action(
            actor=user,
            action=RESTORE_ACTION,
            session=minutes.session,
            minutes=minutes.pk,
            revision=upto,
            update=update_id,
        )
    return update_id


# -- helpers -------------------------------------------------------------------------


def _check_update(minutes_id: int, update: bytes) -> None:
    """Refuse an update that changes nothing, is malformed or lacks what it builds on."""
    if not update or update == EMPTY_UPDATE:
        raise InvalidUpdate()
    stored = load_document(minutes_id)
    if stored.size + len(update) > MAX_DOCUMENT_BYTES:
        raise InvalidUpdate(gettext("The minutes would be too long."))
    doc = load_doc(stored.blobs())
    before = doc.get_update()
    try:
        apply_update(doc, update)
    except UpdateRejected:
        raise InvalidUpdate() from None
    # Structs that wait for others the document lacks are kept aside by yrs, not
    # integrated (nor encoded): an update made of those changes nothing.
    if doc.get_update() == before:
        raise InvalidUpdate()


def _author_key(author_id: int | None, *, skeleton: bool) -> str:
    if author_id is not None:
        return f"u{author_id}"
    return AGENDA if skeleton else UNKNOWN


def _new_clients(update: bytes) -> list[int]:
    """The Yjs clients whose very first structs ``update`` carries.

    ``pycrdt.get_state`` of an update alone counts a client's structs only when
    they run from its clock 0, which is in the first update a client (a browser
    tab) ever sends: so each client is found once, in its first update, without
    replaying the log (30,000 updates take about 10 ms).
    """
    try:
        return list(decode_state_vector(pycrdt.get_state(update)))
    except (ValueError, RuntimeError):  # stored updates were validated; never expected
        return []


def _user_id(key: str) -> int | None:
    return int(key[1:]) if key[:1] == "u" and key[1:].isdigit() else None


def _authors(keys: list[str]) -> dict[str, Author]:
    """Everyone in ``keys``, named, with a colour each in order of first appearance."""
    order = list(dict.fromkeys(keys))
    ids = [user_id for key in order if (user_id := _user_id(key)) is not None]
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
    authors: dict[str, Author] = {}
    colour = 0
    for key in order:
        if key == AGENDA:
            authors[key] = Author(key, gettext("Agenda (written by Plenary)"), None)
            continue
        user_id = _user_id(key)
        user = users.get(user_id) if user_id is not None else None
        name = user.public_name if user is not None else gettext("Unknown writer")
        authors[key] = Author(key, name, colour % PALETTE_SIZE)
        colour += 1
    return authors


def _restores(minutes_id: int) -> dict[int, int]:
    """Update id of each restore -> the revision it brought back (from the audit log)."""
    restores: dict[int, int] = {}
    for data in AuditEntry.objects.filter(
        action=RESTORE_ACTION, session__minutes=minutes_id
    ).values_list("data", flat=True):
        if isinstance(data.get("update"), int) and isinstance(data.get("revision"), int):
            restores[data["update"]] = data["revision"]
    return restores


def _folded_snapshots(minutes_id: int, first: int | None) -> list[Revision]:
    """Snapshots whose updates were deleted (logs compacted before the history was
    kept): each is a revision of its own, by unknown writers."""
    snapshots = MinutesSnapshot.objects.filter(minutes_id=minutes_id)
    if first is not None:
        snapshots = snapshots.filter(upto__lt=first)
    return [
        Revision(upto, created_at, created_at, (UNKNOWN,))
        for upto, created_at in snapshots.order_by("upto").values_list("upto", "created_at")
    ]
