"""The minutes of a session: one collaborative document, its update log and snapshots.

``Minutes`` is the document of one session, created with the agenda as its skeleton
(a heading per item) and moving through a workflow: draft (written live) -> in
review -> approved -> published. Its content is a Yjs document (a ``Y.XmlFragment``
named ``default``, as TipTap's Collaboration extension reads it), stored as:

- ``MinutesUpdate``: the append-only log of Yjs updates, each stored before any
  client receives it;
- ``MinutesSnapshot``: the document's whole state as of an update id (``upto``),
  written by compaction so that loading starts there; the log itself is kept, as
  it is the history (``minutes.services.history``).

Around the document:

- ``MinutesVersion``: each publication, frozen (number, who approved and when, the
  HTML and the document state it was rendered from). Correcting published minutes
  sends them back to draft; the next publication is version N+1, and the public
  page keeps showing version N meanwhile.
- ``ReviewComment``: what attendees say during the review period (a comment, or a
  suggested change of a quoted passage), and the note-takers' answer.

Invariants: the document is the latest snapshot's state plus every update with an
id above its ``upto``; updates of one document are written while its ``Minutes``
row is locked, so their ids increase in commit order and compaction never misses
one; a version is never changed once written, and ``Minutes.version``,
``published_at`` and ``published_html`` repeat the latest one (the session page
and the admin read them without a join).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assemblies.models import Session


class Minutes(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEW = "review", _("in review")
        APPROVED = "approved", _("approved")
        PUBLISHED = "published", _("published")

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("session")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_html = models.TextField(_("published text"), blank=True)
    version = models.PositiveIntegerField(_("published version"), default=0)
    review_ends_at = models.DateTimeField(_("end of the review"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return str(self.session)

    def get_absolute_url(self) -> str:
        return reverse("minutes:published", kwargs={"pk": self.session_id})

    @property
    def is_editable(self) -> bool:
        """Written live in draft; corrected by the note-takers in review; then locked."""
        return self.status in EDITABLE_STATUSES

    @property
    def is_correction(self) -> bool:
        """Being corrected after publication: the next publication is a new version."""
        return self.version > 0 and self.status != self.Status.PUBLISHED

    def review_is_open(self, now: datetime | None = None) -> bool:
        """Attendees may comment: in review, before the end the organisers set."""
        if self.status != self.Status.REVIEW or self.review_ends_at is None:
            return False
        return (now or timezone.now()) < self.review_ends_at


EDITABLE_STATUSES = {Minutes.Status.DRAFT, Minutes.Status.REVIEW}


class MinutesUpdate(models.Model):
    """One Yjs update (binary, v1 encoding), in the order it was accepted."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="updates")
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["minutes", "id"], name="minutes_update_log")]

    def __str__(self) -> str:
        return f"{self.minutes_id}#{self.pk}"


class MinutesSnapshot(models.Model):
    """The whole document as of update ``upto`` (encoded as one Yjs update)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="snapshots")
    state = models.BinaryField()
    upto = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["minutes", "-upto"], name="minutes_snapshot_latest")]

    def __str__(self) -> str:
        return f"{self.minutes_id}@{self.upto}"


class MinutesVersion(models.Model):
    """One publication of the minutes, frozen: never changed once written.

    ``state`` is the Yjs document as it was published (one update), so exports
    (Markdown) render from the same tree as the HTML; ``html`` is what the public
    read, kept as it was even if the renderer changes later.
    """

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    html = models.TextField(_("published text"))
    state = models.BinaryField(_("document state"), blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.minutes_id} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "minutes:version", kwargs={"pk": self.minutes.session_id, "number": self.number}
        )


class ReviewComment(models.Model):
    """An attendee's comment on minutes in review, or a suggested change of a passage.

    A suggestion quotes a passage of the text (``quote``) and proposes its
    replacement (``proposal``); accepting it replaces the passage in the live
    document (``minutes.services.review.accept_comment``). A plain comment has
    neither. The note-takers accept or decline each, with an optional reply the
    author reads. ``version`` is the version the review prepares, so a correction's
    review is told apart from the first one.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("awaiting an answer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="comments")
    version = models.PositiveIntegerField(_("version under review"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("comment"))
    quote = models.TextField(_("quoted passage"), blank=True)
    proposal = models.TextField(_("proposed text"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    reply = models.TextField(_("reply"), blank=True)
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        indexes = [models.Index(fields=["minutes", "version", "id"], name="minutes_comment_list")]

    def __str__(self) -> str:
        return f"{self.minutes_id}: {self.text[:40]}"

    @property
    def is_suggestion(self) -> bool:
        return bool(self.quote)
