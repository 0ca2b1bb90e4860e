"""Room names: built here and nowhere else."""


def session_room(session_id: int) -> str:
    """Return the room of a session page: state, agenda, chat, questions, presence."""
    return f"session.{session_id}"


def session_moderators_room(session_id: int) -> str:
    """The session's moderators and organisers only: ephemeral frames (pending items)."""
    return f"session.{session_id}.moderators"
