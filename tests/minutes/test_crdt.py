"""CRDT convergence: however the clients' edits interleave and however late they
travel, and whether they go through the server's log, snapshots and compaction,
every copy of the minutes ends up the same.

Found here: pycrdt 0.14 (yrs) can drop a struct when several updates arrive with
their dependencies missing (a ``pending`` update that is itself incomplete). The
server never sees that from honest clients: a socket delivers in order and the
server relays in the order it stored, so dependencies always come first; the
simulation below keeps exactly those guarantees.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, TransactionEvent, XmlElement, XmlFragment, XmlText

from minutes.services import store
from minutes.services.document import FRAGMENT, load_doc, plain_text, skeleton_update
from tests import factories

SKELETON = skeleton_update(["Accueil", "Budget", "Questions diverses"])

ops = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # which client
        st.sampled_from(["insert", "delete", "paragraph", "bold"]),
        st.integers(min_value=0, max_value=50),  # where
        st.text(alphabet="abcde <>&", min_size=1, max_size=6),  # ASCII: pycrdt offsets count bytes
    ),
    max_size=40,
)


class Replica:
    """One client's copy, recording the updates it makes."""

    def __init__(self) -> None:
        self.doc: Doc = Doc()
        self.doc.apply_update(SKELETON)
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        self.made: list[bytes] = []
        self.sub = self.doc.observe(self._record)
        self.applying = False

    def _record(self, event: TransactionEvent) -> None:
        if not self.applying:
            self.made.append(event.update)

    def apply(self, update: bytes) -> None:
        self.applying = True
        try:
            self.doc.apply_update(update)
        finally:
            self.applying = False

    def edit(self, kind: str, where: int, text: str) -> None:
        blocks = list(self.fragment.children)
        if kind == "paragraph":
            self.fragment.children.insert(
                where % (len(blocks) + 1), XmlElement("paragraph", None, [XmlText(text)])
            )
            return
        element = blocks[where % len(blocks)]
        if not element.children:
            element.children.append(XmlText())
        target = element.children[0]
        length = len(target)
        if kind == "insert":
            target.insert(where % (length + 1), text)
        elif kind == "bold" and length:
            start = where % length
            target.format(start, min(length, start + 3), {"bold": {}})
        elif kind == "delete" and length:
            start = where % length
            del target[start : min(length, start + len(text))]


def play(operations: list[tuple[int, str, int, str]], clients: int, seed: int) -> list[Replica]:
    """Clients edit while their updates travel through a server, as on the socket.

    What the system guarantees, and no more: each socket delivers in order (client
    to server, server to client), the server passes updates on in the order it
    stored them, and everything else (which link moves when, how late) is up to
    ``seed``. Returns the clients and, last, the server's copy.
    """
    rng = random.Random(seed)
    replicas = [Replica() for _ in range(clients)]
    server = Replica()
    up: list[list[bytes]] = [[] for _ in range(clients)]
    down: list[list[bytes]] = [[] for _ in range(clients)]

    def step() -> None:
        link = rng.randrange(2 * clients)
        if link < clients and up[link]:
            update = up[link].pop(0)
            server.apply(update)  # validated and stored, then relayed
            for other in range(clients):
                if other != link:
                    down[other].append(update)
        elif link >= clients and down[link - clients]:
            replicas[link - clients].apply(down[link - clients].pop(0))

    for who, kind, where, text in operations:
        replica = replicas[who % clients]
        replica.edit(kind, where, text)
        up[who % clients] += replica.made
        replica.made.clear()
        for _ in range(rng.randrange(4)):
            step()
    while any(up) or any(down):
        step()
    return [*replicas, server]


@settings(max_examples=150, deadline=None)
@given(operations=ops, clients=st.integers(min_value=2, max_value=4), seed=st.integers())
def test_replicas_converge_whatever_the_delivery_order(operations, clients, seed):
    replicas = play(operations, clients, seed)

    texts = {str(r.fragment) for r in replicas}
    assert len(texts) == 1
    assert {plain_text(r.doc) for r in replicas} == {plain_text(replicas[0].doc)}


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=ops, seed=st.integers(), cut=st.floats(min_value=0, max_value=1))
def test_the_stored_log_with_compaction_rebuilds_the_same_document(operations, seed, cut):
    session = factories.make_session(items=0)
    minutes = store.ensure_minutes(session.pk, user=factories.make_user())
    replica = Replica.__new__(Replica)  # from the stored skeleton (an empty agenda)
    replica.doc = load_doc(store.load_document(minutes.pk).blobs())
    replica.fragment = replica.doc.get(FRAGMENT, type=XmlFragment)
    replica.made, replica.applying = [], False
    replica.sub = replica.doc.observe(replica._record)
    replica.fragment.children.append(XmlElement("paragraph", None, [XmlText("debut")]))
    for _, kind, where, text in operations:
        replica.edit(kind, where, text)
    updates = replica.made
    split = int(len(updates) * cut)

    store.append_updates(minutes.pk, [(u, None) for u in updates[:split]])
    store.compact_minutes(minutes.pk, older_than=timedelta(0))
    store.append_updates(minutes.pk, [(u, None) for u in updates[split:]])

    rebuilt = load_doc(store.load_document(minutes.pk).blobs())
    assert str(rebuilt.get(FRAGMENT, type=XmlFragment)) == str(replica.fragment)
    assert store.document_state(minutes.pk) == rebuilt.get_update()
