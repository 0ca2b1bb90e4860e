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


class ReviewClosed(MinutesError):
    code = "review_closed"
    default_message = _("The review period is over: comments are closed.")


class InvalidComment(MinutesError):
    """A comment or suggestion that cannot be taken as written (the message says why)."""

    code = "invalid_comment"
    default_message = _("This comment cannot be posted.")


class PassageChanged(MinutesError):
    """A suggestion whose quoted passage is no longer in the text exactly once."""

    code = "passage_changed"
    default_message = _(
        "The quoted passage is no longer in the minutes exactly once: change the text "
        "in the editor, then decline the suggestion with a reply."
    )


class AlreadyAnswered(MinutesError):
    code = "already_answered"
    default_message = _("This comment has already been answered.")


class InvalidUpdate(MinutesError):
    """An edit sent outside the socket (a restore) that the document cannot take."""

    code = "invalid_update"
    default_message = _("This change could not be applied to the minutes; reload the page.")
