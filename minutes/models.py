"""The minutes of a session: one collaborative document, its update log and snapshots.

``Minutes`` is the document of one session, created with the agenda as its skeleton
(a heading per item) and moving through a workflow: draft (written live) -> in
review -> approved -> published. Its content is a Yjs document (a ``Y.XmlFragment``
named ``default``, as TipTap's Collaboration extension reads it), stored as:

- ``MinutesUpdate``: the append-only log of Yjs updates, each stored before any
  client receives it;
- ``MinutesSnapshot``: the document's whole state as of an update id (``upto``),
  written by compaction, which then deletes the updates it folded in.

Invariants: the document is the latest snapshot's state plus every update with an
id above its ``upto``; updates of one document are written while its ``Minutes``
row is locked, so their ids increase in commit order and compaction never misses
one; a published document's ``published_html`` is frozen at publication.
"""

from __future__ import annotations

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
