"""Hypothesis throws malformed, truncated, huge and valid-but-odd frames at a writer's
minutes socket: the offender gets a documented close code (or, for a frame that
is valid after all, nothing happens to anyone else), the stored document still
loads, and another writer carries on undisturbed."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from minutes import protocol
from minutes.models import Minutes
from minutes.protocol import AwarenessEntry, MinutesCloseCode
from minutes.services import store
from minutes.services.document import FRAGMENT, UpdateRejected, apply_update, new_doc
from minutes.services.rooms import get_registry
from plenary.asgi import application
from tests.conftest import session_cookie
from tests.minutes.conftest import ORIGIN
from tests.minutes.yclient import CommunicatorTransport, YClient

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTED = {int(code) for code in MinutesCloseCode}


def real_update() -> bytes:
    doc: Doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    fragment.children.append(XmlElement("paragraph", None, [XmlText("bonjour tout le monde")]))
    return doc.get_update()


REAL = real_update()


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in edits:
        if not out:
            break
        at = where % len(out)
        if kind == 0:
            out[at] = value
        elif kind == 1:
            del out[at:]
        else:
            out.insert(at, value)
    return bytes(out)


edits = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)
frames = st.one_of(
    st.binary(max_size=300),
    edits.map(lambda e: protocol.encode_update(mutate(REAL, e))),
    edits.map(lambda e: protocol.encode_sync_step2(mutate(REAL, e))),
    edits.map(lambda e: mutate(protocol.encode_update(REAL), e)),
    st.binary(max_size=60).map(protocol.encode_sync_step1),
    st.just(protocol.encode_update(REAL * 2)),
    st.just(protocol.encode_update(b"\x00" * 60_000)),
    st.lists(
        st.builds(
            AwarenessEntry,
            st.integers(0, 2**53 - 1),
            st.integers(0, 2**53 - 1),
            st.sampled_from(["null", "{}", '{"user": {"name": "x"}}', "[]", "1", "{" * 50]),
        ),
        max_size=20,
    ).map(protocol.encode_awareness),
)


async def exchange(session_id: int, cookie: str, frame: bytes) -> int | None:
    headers = [ORIGIN, (b"cookie", cookie.encode())]

    async def client() -> YClient:
        communicator = WebsocketCommunicator(
            application, f"/ws/minutes/{session_id}/", headers=headers
        )
        assert (await communicator.connect())[0]
        opened = await YClient(CommunicatorTransport(communicator)).start()
        async with asyncio.timeout(5):
            await opened.synced.wait()
        return opened

    registry = get_registry()
    try:
        bystander, offender = await client(), await client()
        offender.send_raw(frame)
        offender.send_raw(protocol.encode_query_awareness())
        closed: int | None = None
        with contextlib.suppress(TimeoutError):
            closed = await offender.wait_closed(seconds=0.5)
        marker = f"vivant-{len(frame)}"
        bystander.append_paragraph(marker)
        witness = await client()
        await witness.wait_for(lambda c: marker in c.text(), seconds=5)
        for c in (bystander, offender, witness):
            await c.close()
        return closed
    finally:
        await registry.close()


# Each example opens three sockets and waits up to half a second for a close:
# 25 examples keep the test within its time limit on PostgreSQL + Redis too.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames)
def test_any_frame_is_handled_and_the_document_is_unharmed(session, note_taker, frame):
    cookie = session_cookie(note_taker)

    closed = asyncio.run(exchange(session.pk, cookie, frame))

    assert closed is None or closed in DOCUMENTED
    minutes = Minutes.objects.get(session=session)
    doc = new_doc()
    for blob in store.load_document(minutes.pk).blobs():
        try:
            apply_update(doc, blob)
        except UpdateRejected:  # pragma: no cover - the assertion below reports it
            pytest.fail("a stored update does not apply")
    assert "Point 1" in str(doc.get(FRAGMENT, type=XmlFragment))
