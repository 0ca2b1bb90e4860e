"""The chat settings form: what moderators set on a session's chat settings page.

The form only parses and bounds the input; ``moderation.configure_chat`` checks
again and writes, so the socket and this page obey the same rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from livechat.blocklist import MAX_ENTRIES, parse_entries
from livechat.models import BridgeSettings, ChatSettings
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


class BridgeSettingsForm(forms.Form):
    """An event's hashtag bridge. Secrets are never sent back to the page: a blank
    secret field keeps the stored one, ``clear_*`` removes it."""

    enabled = forms.BooleanField(label=_("Bridge the event's hashtag"), required=False)
    extra_hashtags = forms.CharField(
        label=_("Other hashtags"),
        required=False,
        max_length=300,
        help_text=_("Besides the event's own, separated by spaces, without the #."),
    )
    imports = forms.ChoiceField(
        label=_("Imported posts"),
        choices=BridgeSettings.Imports.choices,
        help_text=_("The chat's blocked words hold imported posts for review either way."),
    )
    mastodon_instance = forms.URLField(
        label=_("Mastodon instance"),
        required=False,
        help_text=_("For example https://mastodon.social"),
    )
    mastodon_token = forms.CharField(
        label=_("Mastodon access token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From Preferences > Development > New application, with the read scope "
            "(and write:statuses to post). Leave blank to keep the stored one."
        ),
    )
    clear_mastodon_token = forms.BooleanField(
        label=_("Remove the stored Mastodon token"), required=False
    )
    bluesky_handle = forms.CharField(
        label=_("Bluesky handle"), required=False, max_length=253, help_text=_("name.bsky.social")
    )
    bluesky_app_password = forms.CharField(
        label=_("Bluesky app password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From Settings > Privacy and security > App passwords; never the account's "
            "password. Leave blank to keep the stored one."
        ),
    )
    clear_bluesky_app_password = forms.BooleanField(
        label=_("Remove the stored Bluesky app password"), required=False
    )
    bluesky_pds = forms.URLField(label=_("Bluesky server"), initial="https://bsky.social")
    jetstream_url = forms.CharField(
        label=_("Jetstream endpoint"),
        required=False,
        max_length=300,
        help_text=_("Where Bluesky posts are read from; blank reads none."),
    )

    def clean_jetstream_url(self) -> str:
        url: str = self.cleaned_data["jetstream_url"].strip()
        if url and not url.startswith(("ws://", "wss://")):
            raise forms.ValidationError(_("A Jetstream endpoint starts with wss://"))
        return url

    def service_arguments(self) -> dict[str, Any]:
        """The form's values as ``configure_bridge`` takes them."""
        data = dict(self.cleaned_data)
        for secret in ("mastodon_token", "bluesky_app_password"):
            cleared = data.pop(f"clear_{secret}")
            data[secret] = "" if cleared else (data[secret] or None)
        return data

    @classmethod
    def initial_from(cls, bridge: BridgeSettings) -> dict[str, object]:
        secrets = {"mastodon_token", "bluesky_app_password"}
        return {
            name: getattr(bridge, name)
            for name in cls.base_fields
            if name not in secrets and not name.startswith("clear_")
        }
