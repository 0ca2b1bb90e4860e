"""What each app keeps about a person, so they can download it and erase it.

Each app registers a ``DataArea`` once (in its ``AppConfig.ready``): what it
exports for a user, as plain JSON-ready values, and what it does before the
account row goes. ``accounts`` imports no other app: the others register here.

Erasing an account (``erase_account``) runs every area's ``erase`` and then
deletes the user, in one transaction. Rows that are part of a public record stay
without the person's name: chat messages and questions keep their text and show
"participant supprimé" (their author becomes null), minutes keep their text.

>>> export_data(user)["chat"]["messages"][0]["text"]
'Bonjour'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User


@dataclass(frozen=True)
class DataArea:
    name: str
    export: Callable[[User], Any]
    erase: Callable[[User], None] | None = None


_areas: dict[str, DataArea] = {}


def register(area: DataArea) -> None:
    _areas[area.name] = area


def export_data(user: User) -> dict[str, Any]:
    """Everything Plenary keeps about ``user``, by area."""
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.get_username(),
            "display_name": user.display_name,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
    }
    for name, area in sorted(_areas.items()):
        data[name] = area.export(user)
    return data


@transaction.atomic
def erase_account(user: User) -> None:
    """Delete the account; what was said in public stays, without the name."""
    for area in _areas.values():
        if area.erase is not None:
            area.erase(user)
    user.delete()
