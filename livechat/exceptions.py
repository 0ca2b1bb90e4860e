"""Chat errors, each with a stable ``code`` and a message for the participant."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plenary.errors import DomainError


class ChatError(DomainError):
    """A chat action that cannot be done."""


class NotAllowed(ChatError):
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class LoginRequired(ChatError):
    code = "login_required"
    default_message = _("Log in to take part in the chat.")


class ChatClosed(ChatError):
    code = "chat_closed"
    default_message = _("The chat of this session is closed.")


class InvalidMessage(ChatError):
    code = "invalid_message"
    default_message = _("This message cannot be posted.")


class RateLimited(ChatError):
    code = "rate_limited"
    default_message = _("You are posting too fast. Wait a moment.")


class UnknownMessage(ChatError):
    code = "unknown_message"
    default_message = _("This message does not exist.")


class UnknownQuestion(ChatError):
    code = "unknown_question"
    default_message = _("This question does not exist.")


class Restricted(ChatError):
    """A moderator barred this participant from posting (ban or timeout)."""

    code = "restricted"
    default_message = _("A moderator has barred you from posting in this chat.")


class NewAccount(ChatError):
    code = "new_account"
    default_message = _("New accounts wait a little before posting.")


class BridgeOff(ChatError):
    code = "bridge_off"
    default_message = _("The hashtag bridge cannot post for this event.")
