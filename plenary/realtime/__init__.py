"""Rooms, their event log and the per-process fan-out hub.

A *room* is a string key such as ``session.42`` (see ``rooms.py``). Services append
events to a room's log with ``record_event`` inside their transaction; each event
gets the room's next ``seq`` and is published on the bus after commit. Every server
process runs one ``RoomHub`` per event loop that subscribes once per active room,
receives each event once, and writes the already-encoded frame to the bounded
outbox of every local socket in that room.
"""
