"""What posting a chat message and asking a question share.

Both come from a logged-in participant, into a session whose chat is open, with a
client-chosen id that makes a retried post count once, and with plain text of a
bounded length.
"""

from __future__ import annotations

import re
from typing import TypeVar

from django.utils import formats, timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Session
from assemblies.room_window import room_window, sessions
from livechat import access
from livechat.exceptions import ChatClosed, InvalidMessage, LoginRequired, NotAllowed
from livechat.models import Message, Question
from livechat.text import clean

# A UUID or any short token of letters, digits and - _ . : (never control bytes,
# which PostgreSQL refuses to store).
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

Post = TypeVar("Post", Message, Question)


def previous_post(
    model: type[Post], *, user: AnyUser, client_id: str, session_id: int
) -> Post | None:
    """Check who posts and with what id; return what a retry of this post stored."""
    if not user.is_authenticated:
        raise LoginRequired()
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidMessage(gettext("The post has no valid client id."))
    existing = model.objects.filter(author_id=user.pk, client_id=client_id).first()
    if existing is not None and existing.session_id != session_id:
        raise InvalidMessage(gettext("This client id was already used for another post."))
    return existing


def open_session(session_id: int, *, user: AnyUser) -> Session:
    """The session, if ``user`` may read its chat and the chat takes posts now."""
    session = sessions().filter(pk=session_id).first()
    if session is None or not access.access_read_chat(user, session):
        raise NotAllowed()
    check_room_open(session)
    return session


def check_room_open(session: Session) -> None:
    """Refuse (``ChatClosed``) outside the room's window, saying when it opens."""
    window = room_window(session)
    if window.open:
        return
    if window.opens_at is not None and window.opens_at > timezone.now():
        when = formats.date_format(timezone.localtime(window.opens_at), "TIME_FORMAT")
        message = gettext("The room is not open yet: it opens at %(time)s.") % {"time": when}
        raise ChatClosed(message)
    raise ChatClosed()


def checked_text(text: str, *, limit: int) -> str:
    """Cleaned text of 1 to ``limit`` characters."""
    text = clean(text)
    if not text:
        raise InvalidMessage(gettext("The text is empty."))
    if len(text) > limit:
        raise InvalidMessage(gettext("At most %(limit)d characters, please.") % {"limit": limit})
    return text
