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

A message imported by the hashtag bridge (``livechat.bridge``) has no author and
a ``network``; its ``external_uri`` (the Mastodon status URI, the Bluesky
``at://`` URI) is unique within the session, so a post seen twice (a backfill
overlapping the stream, a Jetstream cursor replay) is stored once. Its
``external_id`` (the Mastodon status id on the bridge's instance, what a
``delete`` event names) finds it again when its author deletes or edits it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assemblies.models import AgendaItem, Event, Session


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

    @classmethod
    def of(cls, session: Session) -> ChatSettings:
        """The session's rules: the stored row, or the defaults (unsaved) when none."""
        return cls.objects.filter(session=session).first() or cls(session=session)


class Ground(models.TextChoices):
    """Why a moderator removed a message: counted in public, so a closed list."""

    OFF_TOPIC = "off_topic", _("off-topic")
    ABUSE = "abuse", _("abuse")
    SPAM = "spam", _("spam")
    PERSONAL_DATA = "personal_data", _("personal data")
    OTHER = "other", _("other")


class Network(models.TextChoices):
    """Where an imported post comes from, or where a message is sent out to."""

    MASTODON = "mastodon", _("Mastodon")
    BLUESKY = "bluesky", _("Bluesky")


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
        IMPORTED = "imported", _("imported from the hashtag")

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
    # The participant ticked "also post to #tag": sent out once a moderator approves.
    share_requested = models.BooleanField(default=False)
    # Imported from the event's hashtag (blank for the room's own messages).
    network = models.CharField(max_length=20, choices=Network.choices, blank=True)
    external_uri = models.CharField(max_length=500, blank=True)
    external_url = models.URLField(max_length=500, blank=True)  # the original, for people
    external_author_name = models.CharField(max_length=200, blank=True)
    external_author_handle = models.CharField(max_length=200, blank=True)
    external_author_url = models.URLField(max_length=500, blank=True)
    content_warning = models.CharField(max_length=500, blank=True)
    media = models.JSONField(default=list, blank=True)  # [{"url": ..., "alt": ...}]
    # Bluesky's self-labels ("sexual", "graphic-media"...): pages name them, collapsed.
    labels = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=100, blank=True)  # Mastodon's status id
    external_edited_at = models.DateTimeField(null=True, blank=True)  # edited by its author

    class Meta:
        ordering = ["session", "pk"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="chat_client_id_unique"),
            models.UniqueConstraint(
                fields=["session", "external_uri"],
                condition=~Q(external_uri=""),
                name="chat_external_uri_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "id"], name="chat_session_status"),
            models.Index(
                fields=["external_id"], condition=~Q(external_id=""), name="chat_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author or self.external_author_handle}: {self.text[:40]}"


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
    # The participant ticked "also post to #tag": sent out once a moderator approves it.
    share_requested = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)  # approved by a moderator

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


class BridgeSettings(models.Model):
    """An event's hashtag bridge: which tags, which accounts, how imports are moderated.

    Secrets (the Mastodon token, the Bluesky app password) are stored encrypted
    with a key derived from ``SECRET_KEY`` (``livechat.bridge.secrets``), or left
    blank and read from the environment; pages show only their last characters.
    """

    class Imports(models.TextChoices):
        QUEUE = "queue", _("wait for a moderator's approval")
        CHAT = "chat", _("follow the chat's moderation mode")

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="bridge_settings"
    )
    enabled = models.BooleanField(_("bridge on"), default=False)
    extra_hashtags = models.CharField(
        _("other hashtags"),
        max_length=300,
        blank=True,
        help_text=_("Besides the event's own, separated by spaces, without the #."),
    )
    imports = models.CharField(
        _("imported posts"), max_length=10, choices=Imports.choices, default=Imports.QUEUE
    )
    mastodon_instance = models.URLField(_("Mastodon instance"), blank=True)
    mastodon_token = models.TextField(blank=True)  # encrypted
    bluesky_handle = models.CharField(_("Bluesky handle"), max_length=253, blank=True)
    bluesky_app_password = models.TextField(blank=True)  # encrypted
    bluesky_pds = models.URLField(_("Bluesky server"), default="https://bsky.social")
    jetstream_url = models.CharField(
        _("Jetstream endpoint"),
        max_length=300,
        default="wss://jetstream2.us-east.bsky.network/subscribe",
    )

    class Meta:
        verbose_name = _("hashtag bridge")
        verbose_name_plural = _("hashtag bridges")

    def __str__(self) -> str:
        return f"{self.event} ({'on' if self.enabled else 'off'})"


class BridgeState(models.Model):
    """Where one network's side of an event's bridge stands: shown live to organisers,
    and where a restarted bridge resumes (Mastodon's newest status id, Jetstream's
    cursor in microseconds)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=20, choices=Network.choices)
    connected = models.BooleanField(default=False)
    stopped = models.BooleanField(default=False)  # refused credentials: fix, then save
    last_post_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    resume_from = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "network"], name="one_bridge_state")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.network}: {'connected' if self.connected else 'down'}"


class OutboundPost(models.Model):
    """A chat message or a question sent out (or to send) under the hashtag on one
    network: exactly one of ``message`` and ``question`` is set.

    ``idempotency_key`` goes with every attempt (Mastodon's ``Idempotency-Key``),
    so a retried post is published once; ``external_uri`` is what the network
    gave back, how the copy coming back on the stream is recognised.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("to send")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="outbound"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="outbound"
    )
    network = models.CharField(max_length=20, choices=Network.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=64)
    text = models.TextField()
    external_uri = models.CharField(max_length=500, blank=True, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # NULLs are distinct: each constraint only binds the rows of its kind.
            models.UniqueConstraint(fields=["message", "network"], name="one_copy_per_network"),
            models.UniqueConstraint(
                fields=["question", "network"], name="one_question_copy_per_network"
            ),
            models.CheckConstraint(
                condition=Q(message__isnull=False, question__isnull=True)
                | Q(message__isnull=True, question__isnull=False),
                name="outbound_message_or_question",
            ),
        ]

    def __str__(self) -> str:
        what = f"q{self.question_id}" if self.question_id else self.message_id
        return f"{what} → {self.network} ({self.status})"
