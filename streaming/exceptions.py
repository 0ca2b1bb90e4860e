"""Domain errors of the broadcast, each with a stable ``code`` and a user-facing message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plenary.errors import DomainError


class StreamingError(DomainError):
    """An action on a session's broadcast that cannot be done."""


class NotAllowed(StreamingError):
    """Missing and forbidden look the same, so existence is not leaked."""

    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class WrongKey(NotAllowed):
    """An ingest hook named no stream we know: the encoder is refused."""

    default_message = _("Unknown stream key.")


class InvalidState(StreamingError):
    code = "invalid_state"
    default_message = _("The broadcast is not in a state that allows this.")


class InvalidSource(StreamingError):
    code = "invalid_source"
    default_message = _("This address cannot be used as a video source.")


class CheckInClosed(StreamingError):
    code = "check_in_closed"
    default_message = _("Check-in is closed for this session.")
