"""Hall check-in: the QR code on the projector and what scanning it proves.

The code on the projector holds a signed token naming the session and when it
was made; the page showing it refreshes every minute and a token is good for
``TOKEN_SECONDS``, so a photo of the code sent to someone at home soon stops
working. Scanning it, a logged-in person confirms they are in the hall
(``assemblies.services.presence.check_in``).
"""

from __future__ import annotations

import io

import segno
from django.core import signing
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.exceptions import InvalidState
from assemblies.models import Attendance, Session
from assemblies.services import presence
from streaming import access
from streaming.exceptions import CheckInClosed, NotAllowed

TOKEN_SECONDS = 5 * 60
_SALT = "plenary.streaming.checkin"


def make_token(session: Session) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(session.pk))


def token_is_valid(session: Session, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=TOKEN_SECONDS)
    except signing.BadSignature:  # expired tokens included
        return False
    return value == str(session.pk)


def qr_svg(data: str) -> str:
    """The QR code of ``data`` as an SVG document, black on white, scalable."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=10, border=2, xmldecl=False)
    return buffer.getvalue().decode()


def check_in(session_id: int, token: str, *, user: AnyUser) -> Attendance:
    """Check ``user`` in at the hall with the token from the projector's code."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not access.access_check_in(user, session):
        raise NotAllowed()
    if not token_is_valid(session, token):
        raise NotAllowed(gettext("This code has expired: scan the code on the screen again."))
    try:
        return presence.check_in(session.pk, user=user)
    except InvalidState:
        raise CheckInClosed() from None
