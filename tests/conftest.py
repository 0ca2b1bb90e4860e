"""Fixtures shared by the whole suite.

The suite runs on whatever ``DATABASE_URL`` and ``REDIS_URL`` say: unset, the
embedded default (SQLite, in-process bus); set, PostgreSQL and Redis. ``make test``
runs it both ways.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from accounts.models import User
from assemblies.models import Session
from tests import factories
from tests.servers import AsgiServer, database_url


def pytest_configure(config: Any) -> None:
    # Test threads (database_sync_to_async) must not keep connections open past a
    # test, or PostgreSQL refuses to drop the test database at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Run the browser tests last: the slowest, and the most likely to find a regression."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """In-process tests hash with MD5; server processes (live, e2e) keep the real hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def forget_shared_snapshots() -> None:
    """Test databases reuse ids, so a snapshot cached by one test must not reach the next."""
    from plenary.realtime import consumers

    consumers._shared_snapshots.clear()


@pytest.fixture
def session(db: None) -> Session:
    """A scheduled session of a neighbourhood committee with three agenda items."""
    return factories.make_session()


@pytest.fixture
def organiser(session: Session) -> User:
    return factories.make_organiser(session, username="organisatrice")


@pytest.fixture
def participant(db: None) -> User:
    return factories.make_user("habitant")


def session_cookie(user: User) -> str:
    """Log ``user`` in and return the Cookie header value a browser would send."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def cookie_for() -> Any:
    return session_cookie


@pytest.fixture(scope="session")
def server_env(django_db_setup: None) -> dict[str, str]:
    """Environment that points a server process at the test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url()
    env["PLENARY_VAR_DIR"] = str(settings.VAR_DIR)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture(scope="session")
def live_server_url(server_env: dict[str, str]) -> Iterator[str]:
    """A real Uvicorn process serving the app on a free loopback port."""
    server = AsgiServer("uvicorn", server_env)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def start_server(server_env: dict[str, str]) -> Iterator[Any]:
    """Start extra server processes (``start_server("daphne")``); stopped after the test."""
    started: list[AsgiServer] = []

    def start(kind: str = "uvicorn") -> AsgiServer:
        server = AsgiServer(kind, server_env)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def room_hub() -> Any:
    """The room hub of the test's event loop, closed (with its bus subscription) after.

    Then the sync thread's database connection is closed: ``database_sync_to_async``
    keeps it open (``CONN_MAX_AGE``), and PostgreSQL refuses to drop the test
    database while it is ("being accessed by other users")."""
    from django.db import connections

    from plenary.realtime.hub import get_hub

    hub = get_hub()
    yield hub
    await hub.close()
    await database_sync_to_async(connections.close_all)()


async def login_cookie(user: User) -> str:
    """``session_cookie`` from async tests (closes its thread's DB connection)."""

    return await database_sync_to_async(session_cookie)(user)
