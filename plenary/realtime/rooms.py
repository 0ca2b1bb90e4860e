"""Room names: built here and nowhere else."""


def session_room(session_id: int) -> str:
    """Return the room of a session page: state, agenda, chat, questions, presence."""
    return f"session.{session_id}"


def session_moderators_room(session_id: int) -> str:
    """The session's moderators and organisers only: ephemeral frames (pending items)."""
    return f"session.{session_id}.moderators"


def session_user_room(session_id: int, user_id: int) -> str:
    """One person's sockets on a session page: ephemeral frames meant for them only."""
    return f"session.{session_id}.user.{user_id}"
