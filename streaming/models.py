"""The broadcast of a session: where its video comes from, its state, its replay.

A ``Stream`` belongs to one session. Its source is one of:

- ``hls``: an HLS playlist URL, played with hls.js (or natively where the browser can);
- ``peertube`` / ``youtube``: a video page on a known host, shown as an embed
  (YouTube through its no-cookie host, and only once the viewer asks for it);
- ``ingest``: the platform's own ingest. An encoder (OBS, ffmpeg) publishes RTMP
  with the stream's secret ``key``; the RTMP server (nginx-rtmp, MediaMTX, Owncast)
  calls our hooks, which move the broadcast, and writes HLS under the stream's
  public name. docs/streaming.md shows the set-up.

The broadcast moves scheduled -> live -> ended (-> replay), or scheduled ->
cancelled; ``live`` may come back from ``ended`` while the session itself is not
over (an encoder that dropped and reconnected). Only
``streaming.services.broadcast`` moves it, under a row lock.

Invariants: ``key`` is unique and secret (never sent to a page but the organisers'
settings page); datetimes are aware.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from assemblies.models import Session


def new_stream_key() -> str:
    """A fresh secret stream key: 32 URL-safe characters, unguessable."""
    return secrets.token_urlsafe(24)


class Stream(models.Model):
    class Kind(models.TextChoices):
        HLS = "hls", _("HLS stream (URL of an .m3u8 playlist)")
        PEERTUBE = "peertube", _("PeerTube video")
        YOUTUBE = "youtube", _("YouTube video")
        INGEST = "ingest", _("The platform's own ingest (RTMP from OBS or ffmpeg)")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")
        REPLAY = "replay", _("replay available")
        CANCELLED = "cancelled", _("cancelled")

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="stream", verbose_name=_("session")
    )
    kind = models.CharField(_("source"), max_length=20, choices=Kind.choices, default=Kind.HLS)
    url = models.URLField(
        _("address"),
        max_length=500,
        blank=True,
        help_text=_("The HLS playlist, or the PeerTube or YouTube video page."),
    )
    key = models.CharField(_("stream key"), max_length=64, unique=True, default=new_stream_key)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    replay_url = models.URLField(
        _("replay address"),
        max_length=500,
        blank=True,
        help_text=_("An HLS playlist (VOD) or a video file, played after the session."),
    )
    preopen_minutes = models.PositiveIntegerField(
        _("room opens (minutes before the start)"), default=15
    )
    grace_minutes = models.PositiveIntegerField(
        _("room closes (minutes after the end)"), default=30
    )

    class Meta:
        verbose_name = _("stream")
        verbose_name_plural = _("streams")

    def __str__(self) -> str:
        return f"{self.session} ({self.get_kind_display()})"

    @property
    def public_name(self) -> str:
        """The stream's name in public HLS addresses (the key stays secret)."""
        return f"session-{self.session_id}"
