"""What each app contributes to the session socket, ``/ws/sessions/<id>/``.

One socket per open session page carries the programme, the chat, questions and
presence. Each app registers a ``SocketArea`` once (in its ``AppConfig.ready``):
the inbound frame types it handles, a synchronous handler (run in the database
thread; it returns frames to send back to this socket only), and optionally the
frames it adds to the snapshot a socket gets on connect. The consumer stays thin:
parse, find the area, call it, reply.

``assemblies`` imports no other app: the others register here.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from assemblies.access import AnyUser
from assemblies.models import Session
from plenary.realtime.protocol import Ping


@dataclass(frozen=True)
class SocketRequest:
    """Who sent a frame, on which session's socket."""

    session_id: int
    user: AnyUser


Handler = Callable[[Any, SocketRequest], Sequence[Any]]
Snapshot = Callable[[Session, AnyUser], Sequence[Any]]
Rooms = Callable[[Session, AnyUser], Sequence[str]]


@dataclass(frozen=True)
class SocketArea:
    name: str
    frames: tuple[type[msgspec.Struct], ...]
    handle: Handler
    snapshot: Snapshot | None = None
    #: Extra rooms of ephemeral frames a socket follows (say, moderators only).
    rooms: Rooms | None = None
    #: Whether this user's socket needs a snapshot on reconnect (their extra
    #: rooms carry state a replay would miss).
    snapshot_on_resume: Callable[[Session, AnyUser], bool] | None = None


_areas: dict[str, SocketArea] = {}


def register(area: SocketArea) -> None:
    """Add (or replace) an area; frame types must not overlap with another area's."""
    _areas[area.name] = area
    _routes.cache_clear()
    decoder.cache_clear()


def areas() -> Sequence[SocketArea]:
    return tuple(_areas.values())


@functools.cache
def _routes() -> dict[type, SocketArea]:
    routes: dict[type, SocketArea] = {}
    for area in _areas.values():
        for frame in area.frames:
            if frame in routes:
                raise ValueError(f"{frame.__name__} is handled by two areas")
            routes[frame] = area
    return routes


@functools.cache
def decoder() -> msgspec.json.Decoder[Any]:
    """A decoder for every inbound frame type of every area, and ``ping``."""
    kinds = (*_routes(), Ping)
    return msgspec.json.Decoder(typing.Union[kinds])  # noqa: UP007  (built at run time)


def area_of(frame: msgspec.Struct) -> SocketArea:
    return _routes()[type(frame)]
