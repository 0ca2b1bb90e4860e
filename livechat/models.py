"""The chat of a session: its settings, messages, reports, reactions and sanctions.

Invariants: a message's ``agenda_item`` is the session's current item when it was
posted; ``(author, client_id)`` is unique, so a post retried after a lost
connection is stored once; a message is never deleted from the table (deleting
hides it and blanks its text), so the moderation log always points somewhere.
A message the room cannot see is ``pending`` (held for review: ``held_for`` says
why), ``hidden``, ``rejected`` or ``deleted``; the moderators' queue is every
pending message and every visible one that ``needs_review`` (post-moderation,
reports). ``ground`` is the public category of a hidden or rejected message, what
the room's transparency line counts.
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
    new_account_minutes = models.PositiveIntegerField(
        _("minutes a new account waits before posting"), default=0
    )
    report_threshold = models.PositiveIntegerField(
        _("reports that hide a message until it is reviewed"), default=3
    )
    blocked_words = models.TextField(
        _("blocked words"),
        blank=True,
        help_text=_("One word or phrase per line. Messages containing one wait for review."),
    )
    starter_blocklists = models.BooleanField(
        _("also use the French and English starter lists"), default=True
    )

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return f"{self.session} ({self.get_mode_display()})"


class Ground(models.TextChoices):
    """Why a moderator removed a message: counted in public, so a closed list."""

    OFF_TOPIC = "off_topic", _("off-topic")
    ABUSE = "abuse", _("abuse")
    SPAM = "spam", _("spam")
    PERSONAL_DATA = "personal_data", _("personal data")
    OTHER = "other", _("other")


class Message(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("visible")
        PENDING = "pending", _("waiting for review")
        HIDDEN = "hidden", _("hidden")
        REJECTED = "rejected", _("rejected")
        DELETED = "deleted", _("deleted")

    class Held(models.TextChoices):
        PREMODERATION = "premoderation", _("pre-moderation")
        BLOCKED_WORDS = "blocked_words", _("blocked words")
        REPORTS = "reports", _("reports")

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
    ground = models.CharField(_("ground"), max_length=20, choices=Ground.choices, blank=True)
    held_for = models.CharField(max_length=20, choices=Held.choices, blank=True)
    needs_review = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    edited = models.BooleanField(default=False)  # by a moderator, before approving it

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


class MessageReport(models.Model):
    """A participant's report of a message: one per person and message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ground = models.CharField(_("ground"), max_length=20, choices=Ground.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_report_per_message")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.message_id} ({self.ground})"


class MessageReaction(models.Model):
    """One person's emoji on a message; the room sees counts per emoji."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="one_reaction_per_emoji"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.emoji} {self.message_id}"


class Sanction(models.Model):
    """A participant barred from posting in a session's chat: banned (no end) or
    timed out until ``until``. They still read. Lifting one keeps the row."""

    class Kind(models.TextChoices):
        BAN = "ban", _("ban")
        TIMEOUT = "timeout", _("timeout")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        indexes = [models.Index(fields=["session", "user"], name="chat_sanction_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"


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
