"""The programme of assemblies: who meets, where, when, and on what agenda.

An ``Organisation`` (a town, a council, an association) has ``Body`` objects (a
neighbourhood committee, an assembly, a citizens' council, a conference) and
``Venue`` objects. An ``Event`` is a conference or a season of meetings with a
hashtag. A ``Session`` is one sitting: it belongs to a body, to an event, or both,
and has an ordered agenda of ``AgendaItem`` objects. ``Role`` grants a person
organiser, moderator or note-taker rights on a body or an event; any logged-in
person participates. ``AuditEntry`` records who changed what, in the same
transaction as the change.

Invariants: datetimes are aware; a session's ``current_item`` is one of its own
agenda items; agenda ``position`` values are unique within a session.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Body(models.Model):
    class Kind(models.TextChoices):
        NEIGHBOURHOOD_COMMITTEE = "committee", _("neighbourhood committee")
        NEIGHBOURHOOD_ASSEMBLY = "assembly", _("neighbourhood assembly")
        CITIZENS_COUNCIL = "council", _("citizens' council")
        CONFERENCE = "conference", _("conference")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="bodies",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    charter = models.TextField(_("charter"), blank=True)
    territory = models.TextField(_("territory"), blank=True)
    retention_days = models.PositiveIntegerField(
        _("days personal data is kept"),
        null=True,
        blank=True,
        default=365,
        help_text=_(
            "Days after a session ends before its chat, questions and attendance are "
            "deleted. Empty keeps them. Published minutes are kept."
        ),
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assemblies:body", kwargs={"slug": self.slug})


class Venue(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="venues",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> str:
        """Name and address on one line, as calendars show a location."""
        address = " ".join(self.address.split())
        return f"{self.name}, {address}" if address else self.name


class Event(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("organisation"),
    )
    body = models.ForeignKey(
        Body,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("body"),
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    hashtag = models.CharField(
        _("hashtag"), max_length=100, blank=True, help_text=_("Without the #, e.g. assmednum.")
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assemblies:event", kwargs={"slug": self.slug})


class SessionQuerySet(models.QuerySet["Session"]):
    def public(self) -> SessionQuerySet:
        return self.select_related("venue", "body", "event", "current_item")

    def live(self) -> SessionQuerySet:
        return self.filter(status=Session.Status.LIVE)

    def upcoming(self, now: datetime | None = None) -> SessionQuerySet:
        now = now or timezone.now()
        return self.filter(status=Session.Status.SCHEDULED, ends_at__gte=now)


class Session(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("plenary")
        MEETING = "meeting", _("meeting")
        WORKSHOP = "workshop", _("workshop")
        ROUND_TABLE = "round_table", _("round table")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")
        CANCELLED = "cancelled", _("cancelled")

    body = models.ForeignKey(
        Body,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("body"),
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("event"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MEETING)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.ForeignKey(
        Venue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("venue"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    current_item = models.ForeignKey(
        "AgendaItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current agenda item"),
    )
    remote_participation = models.BooleanField(_("remote participation open"), default=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("personal data deleted at"), null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(body__isnull=False) | Q(event__isnull=False),
                name="session_belongs_to_body_or_event",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assemblies:session", kwargs={"pk": self.pk})

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def hashtag(self) -> str:
        return self.event.hashtag if self.event else ""


class AgendaItem(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("session")
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    planned_minutes = models.PositiveIntegerField(_("planned duration (minutes)"), default=15)
    presenters = models.CharField(_("presenters"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        ordering = ["session", "position"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="agenda_position_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Role(models.Model):
    """A person's role on a body or an event (exactly one of the two)."""

    class Kind(models.TextChoices):
        ORGANISER = "organiser", _("organiser")
        MODERATOR = "moderator", _("moderator")
        NOTE_TAKER = "note_taker", _("note-taker")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plenary_roles",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    body = models.ForeignKey(
        Body, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                condition=(Q(body__isnull=False) & Q(event__isnull=True))
                | (Q(body__isnull=True) & Q(event__isnull=False)),
                name="role_on_body_xor_event",
            ),
            models.UniqueConstraint(fields=["user", "kind", "body"], name="role_unique_on_body"),
            models.UniqueConstraint(fields=["user", "kind", "event"], name="role_unique_on_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_kind_display()} – {self.body or self.event}"


class AuditEntry(models.Model):
    """Who did what, written in the same transaction as the change itself."""

    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=60)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class Attendance(models.Model):
    """One logged-in person's presence at a session: online, in the hall, or both.

    ``open_sockets`` counts the person's open session pages across every server
    process; ``present_since`` is when it went from 0 to 1, and each return to 0
    adds the interval to ``seconds_present``. ``seen_at`` is refreshed while pages
    stay open, so a process that died without closing its sockets is noticed
    (``assemblies.services.presence``). ``checked_in_at`` is set when the person
    scans the hall's QR code.
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("user"),
    )
    first_joined_at = models.DateTimeField(_("first joined at"), null=True, blank=True)
    last_left_at = models.DateTimeField(_("last left at"), null=True, blank=True)
    seconds_present = models.PositiveIntegerField(_("seconds present online"), default=0)
    open_sockets = models.PositiveIntegerField(default=0)
    present_since = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at the hall"), null=True, blank=True)

    class Meta:
        ordering = ["session", "first_joined_at", "pk"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.session}"
