"""``manage.py purge_expired``: delete personal data past each body's retention.

Run it daily (cron, a systemd timer). It deletes the chat, questions, votes,
reactions, reports and attendance of sessions that ended more than their body's
``retention_days`` ago, and their room's event log; sessions, agendas and
published minutes stay. Safe to run again: purged sessions are marked.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assemblies.retention import purge_expired


class Command(BaseCommand):
    help = "Delete personal data of sessions past their body's retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = purge_expired()
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(f"purged: {summary}")
