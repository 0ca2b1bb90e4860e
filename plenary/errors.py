"""The base of every domain error: a stable ``code`` and a message for the user.

Each app subclasses it in its ``exceptions.py``; sockets turn one into an
``error`` frame and views into a message or an HTTP 4xx.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    default_message = _("This action is not possible.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])
