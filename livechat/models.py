"""The chat of a session: its settings, messages and reactions.

Invariants: a message's ``agenda_item`` is the session's current item when it was
posted; ``(author, client_id)`` is unique, so a post retried after a lost
connection is stored once; a message is never deleted from the table (deleting
hides it and blanks its text), so the moderation log always points somewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assemblies.models import AgendaItem, Session


class ChatSettings(models.Model):
    class Mode(models.TextChoices):
        OPEN = "open", _("open")
        POST_MODERATED = "post_moderated", _("post-moderated")
        PRE_MODERATED = "pre_moderated", _("pre-moderated")

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, primary_key=True, related_name="chat_settings"
    )
    mode = models.CharField(_("moderation"), max_length=20, choices=Mode.choices, default=Mode.OPEN)
    slow_mode_seconds = models.PositiveIntegerField(
        _("slow mode (seconds between messages)"), default=0
    )
    questions_premoderated = models.BooleanField(
        _("questions wait for a moderator's approval"), default=False
    )

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return f"{self.session} ({self.get_mode_display()})"


class Message(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("visible")
        PENDING = "pending", _("waiting for review")
        HIDDEN = "hidden", _("hidden")
        REJECTED = "rejected", _("rejected")
        DELETED = "deleted", _("deleted")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    client_id = models.CharField(max_length=64)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VISIBLE)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["session", "pk"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="chat_client_id_unique")
        ]
        indexes = [models.Index(fields=["session", "status", "id"], name="chat_session_status")]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class Question(models.Model):
    """An audience question, tied to the agenda item current when it was asked.

    ``votes`` is a count kept with the votes in one transaction, so sorting by votes
    needs no aggregate.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        OPEN = "open", _("open")
        ON_SCREEN = "on_screen", _("on screen")
        ANSWERED = "answered", _("answered")
        ARCHIVED = "archived", _("archived")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    client_id = models.CharField(max_length=64)
    text = models.TextField(_("question"))
    created_at = models.DateTimeField(default=timezone.now)
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], name="question_client_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="one_vote_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.question}"
