"""Minutes errors, each with a stable ``code`` and a message for the person acting."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plenary.errors import DomainError


class MinutesError(DomainError):
    """An action on the minutes that cannot be done."""


class NotAllowed(MinutesError):
    """Missing and forbidden look the same, so existence is not leaked."""

    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class InvalidState(MinutesError):
    code = "invalid_state"
    default_message = _("The minutes are not in a state that allows this.")


class MinutesLocked(MinutesError):
    """An update arrived for minutes that can no longer be edited."""

    code = "minutes_locked"
    default_message = _("These minutes can no longer be edited.")
