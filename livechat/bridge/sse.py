"""An incremental parser of Server-Sent Events, as the HTML standard defines them.

Feed it chunks as they come off the socket, cut anywhere (even inside a line
ending or a UTF-8 sequence); each call returns the events whose closing blank
line arrived. Comments (``:)``, ``:thump``, Mastodon's heartbeats) give no event;
the caller's read timeout counts any bytes as life.

>>> parser = SSEParser()
>>> parser.feed(b":)\\nevent: upd")
[]
>>> parser.feed(b'ate\\ndata: {"id": "1"}\\n\\n')
[Event(event='update', data='{"id": "1"}', id=None)]
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str | None = None


_BREAK = re.compile(r"\r\n|\r|\n")


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False  # the last chunk ended with \r: a \n may follow
        self._started = False
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self.last_event_id: str | None = None
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        """Take the next bytes of the stream; return the events they complete."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the \n of a \r\n cut between two chunks
        self._pending_cr = False
        buffer = self._buffer + text
        events: list[Event] = []
        start = 0
        while (found := _BREAK.search(buffer, start)) is not None:
            if found.group() == "\r" and found.end() == len(buffer):
                self._pending_cr = True
            event = self._line(buffer[start : found.start()])
            start = found.end()
            if event is not None:
                events.append(event)
        self._buffer = buffer[start:]
        return events

    def _line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Event | None:
        if self._id is not None:
            self.last_event_id = self._id
        event = None
        if self._data:
            event = Event(self._event or "message", "\n".join(self._data), self._id)
        self._event, self._data, self._id = "", [], None
        return event
