"""Fixtures of the minutes tests: writers, and clients on the real ASGI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from accounts.models import User
from assemblies.models import Session
from minutes.services.rooms import get_registry
from plenary.asgi import application
from tests import factories
from tests.conftest import login_cookie
from tests.minutes.yclient import CommunicatorTransport, YClient

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture
def note_taker(session: Session) -> User:
    return factories.make_note_taker(session, username="secretaire", display_name="Awa")


@pytest.fixture
async def minutes_rooms() -> AsyncIterator[Any]:
    """The minutes rooms of the test's event loop, closed after the test."""
    registry = get_registry()
    yield registry
    await registry.close()


async def open_communicator(session_id: int, user: User | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if user is not None:
        headers.append((b"cookie", (await login_cookie(user)).encode()))
    communicator = WebsocketCommunicator(application, f"/ws/minutes/{session_id}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.fixture
async def minutes_client(minutes_rooms: Any) -> AsyncIterator[Callable[..., Any]]:
    """Open synced y-websocket clients on a session's minutes; closed after the test."""
    clients: list[YClient] = []

    async def open_client(session_id: int, user: User | None = None, sync: bool = True) -> YClient:
        communicator = await open_communicator(session_id, user)
        client = await YClient(CommunicatorTransport(communicator)).start()
        clients.append(client)
        if sync:
            async with asyncio.timeout(10):
                await client.synced.wait()
        return client

    yield open_client
    for client in clients:
        await client.close()
