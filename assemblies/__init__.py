"""The public programme: organisations, bodies, events, sessions and their agendas.

This app imports no other Plenary app except ``plenary.realtime`` (the room event
log); the live apps build on it, never the other way round.
"""
