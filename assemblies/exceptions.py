"""Domain errors of the programme, each with a stable ``code`` and a user-facing message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plenary.errors import DomainError


class ProgrammeError(DomainError):
    """An action on the programme or a live session that cannot be done."""


class NotAllowed(ProgrammeError):
    """Missing and forbidden look the same, so existence is not leaked."""

    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class InvalidState(ProgrammeError):
    code = "invalid_state"
    default_message = _("The session is not in a state that allows this.")


class UnknownItem(ProgrammeError):
    code = "unknown_item"
    default_message = _("This agenda item is not part of the session.")
