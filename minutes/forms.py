"""The forms of the minutes pages: the review's end, a comment, an answer.

Forms only parse and bound the input; the services (``workflow``, ``review``)
check again and decide, so a page without script and any other client obey the
same rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minutes.services.review import MAX_QUOTE, MAX_TEXT


class SubmitForm(forms.Form):
    """Submitting for review: until when attendees may comment."""

    review_ends_at = forms.DateTimeField(
        label=_("Comments open until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for a week."),
    )


class CommentForm(forms.Form):
    """A comment on the minutes in review, or a suggested change of a passage."""

    text = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    quote = forms.CharField(
        label=_("Passage to change (optional)"),
        max_length=MAX_QUOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Copy it exactly from the minutes, within one paragraph."),
    )
    proposal = forms.CharField(
        label=_("Proposed text"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the passage should say instead (empty: remove it)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("quote", "proposal"):
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_helptext"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("proposal") and not data.get("quote"):
            self.add_error("quote", _("Quote the passage that your proposed text replaces."))
        return data


class AnswerForm(forms.Form):
    """A note-taker's answer: accept or decline, with an optional reply."""

    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.HiddenInput,
    )
    reply = forms.CharField(
        label=_("Reply (optional)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
