"""The audit log: one entry per programme or moderation change, in its transaction."""

from __future__ import annotations

from typing import Any

from assemblies.access import AnyUser
from assemblies.models import AuditEntry, Session


def log_action(*, actor: AnyUser | None, action: str, session: Session | None, **data: Any) -> None:
    """Record that ``actor`` did ``action``; call inside the change's transaction."""
    AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        session=session,
        data=data,
    )
