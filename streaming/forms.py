"""The organisers' stream settings form: it validates, the service writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from streaming.models import Stream


class StreamForm(forms.Form):
    kind = forms.ChoiceField(label=_("Source"), choices=Stream.Kind.choices)
    url = forms.CharField(
        label=_("Address of the video"),
        max_length=500,
        required=False,
        help_text=_(
            "An HLS playlist (.m3u8), or a PeerTube or YouTube video page. Leave empty for "
            "the platform's ingest."
        ),
    )
    replay_url = forms.CharField(
        label=_("Address of the replay"),
        max_length=500,
        required=False,
        help_text=_("An HLS playlist or a video file, played once the broadcast has ended."),
    )
    preopen_minutes = forms.IntegerField(
        label=_("The room opens this many minutes before the start"), min_value=0, max_value=240
    )
    grace_minutes = forms.IntegerField(
        label=_("The room closes this many minutes after the end"), min_value=0, max_value=1440
    )
