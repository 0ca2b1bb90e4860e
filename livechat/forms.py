"""The chat settings form: what moderators set on a session's chat settings page.

The form only parses and bounds the input; ``moderation.configure_chat`` checks
again and writes, so the socket and this page obey the same rules.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from livechat.blocklist import MAX_ENTRIES, parse_entries
from livechat.models import ChatSettings
from livechat.services.moderation import (
    MAX_NEW_ACCOUNT_MINUTES,
    MAX_REPORT_THRESHOLD,
    MAX_SLOW_MODE,
)


class ChatSettingsForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Moderation"),
        choices=ChatSettings.Mode.choices,
        help_text=_(
            "Open: messages appear at once. Post-moderated: they appear at once and "
            "moderators review them. Pre-moderated: they appear once a moderator approves them."
        ),
    )
    slow_mode_seconds = forms.IntegerField(
        label=_("Slow mode (seconds between two messages of a participant)"),
        min_value=0,
        max_value=MAX_SLOW_MODE,
        help_text=_("0 turns it off. Moderators are exempt."),
    )
    new_account_minutes = forms.IntegerField(
        label=_("Minutes a new account waits before posting"),
        min_value=0,
        max_value=MAX_NEW_ACCOUNT_MINUTES,
        help_text=_("0: anyone with an account may post at once."),
    )
    report_threshold = forms.IntegerField(
        label=_("Reports that hide a message until it is reviewed"),
        min_value=0,
        max_value=MAX_REPORT_THRESHOLD,
        help_text=_("0: reports never hide a message by themselves."),
    )
    blocked_words = forms.CharField(
        label=_("Blocked words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One word or phrase per line; case and accents do not matter. A message "
            "containing one waits for a moderator's review: it is never dropped silently."
        ),
    )
    starter_blocklists = forms.BooleanField(
        label=_("Also use the French and English starter lists (insults, slurs, threats)"),
        required=False,
    )
    questions_premoderated = forms.BooleanField(
        label=_("Questions wait for a moderator's approval"), required=False
    )

    def clean_blocked_words(self) -> str:
        text: str = self.cleaned_data["blocked_words"]
        if len(parse_entries(text)) > MAX_ENTRIES:
            raise forms.ValidationError(
                _("At most %(count)d blocked words."), params={"count": MAX_ENTRIES}
            )
        return text

    @classmethod
    def initial_from(cls, settings: ChatSettings) -> dict[str, object]:
        return {name: getattr(settings, name) for name in cls.base_fields}
