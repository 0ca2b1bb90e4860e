"""The review period: attendees comment and suggest changes; note-takers answer.

::

    comment = post_comment(session.pk, user=resident, text="Le vote était à 12 voix.",
                           quote="à 11 voix", proposal="à 12 voix")
    answer_comment(comment.pk, user=note_taker, accept=True, reply="Corrigé, merci.")

A comment is plain text (escaped wherever it is shown). A suggestion quotes a
passage of the minutes as they stand and proposes its replacement; the passage
must be within one paragraph and occur exactly once, so that accepting it cannot
change the wrong words.

Accepting a suggestion changes the minutes on the server, as an ordinary CRDT edit
by the note-taker who accepted: ``document.replace_passage`` makes a Yjs update
from the stored document, ``store.append_updates`` stores it in the same
transaction as the answer (so a suggestion is never marked accepted without its
change, nor the reverse), and after commit the relay carries it to every open
room, which applies it and sends it to its editors and readers as it does any
update stored elsewhere. Edits typed meanwhile merge with it (Yjs), so nobody has
to reload, and it works without script. Doing it in the note-taker's editor
instead would leave the answer and the change to two separate requests, and need
an open editor.

Invariants: ``answer_comment`` locks the minutes row (as every append does) and
then the comment, so two note-takers answering together make one answer and one
change; answers are possible while the minutes can be edited (draft or review),
comments only in review before its end.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assemblies.access import AnyUser
from assemblies.services.audit import log_action
from minutes import access
from minutes.exceptions import (
    AlreadyAnswered,
    InvalidComment,
    InvalidState,
    NotAllowed,
    PassageChanged,
    ReviewClosed,
)
from minutes.models import Minutes, ReviewComment
from minutes.services import store
from minutes.services.document import PassageNotFound, find_passage, load_doc, replace_passage

#: Longest comment, reply and proposed text; longest quoted passage (characters).
MAX_TEXT = 2000
MAX_QUOTE = 500
#: Comments one person may leave on one review (beyond, they are spam).
MAX_COMMENTS_PER_PERSON = 50


def post_comment(
    session_id: int, *, user: AnyUser, text: str, quote: str = "", proposal: str = ""
) -> ReviewComment:
    """Comment on minutes in review, or suggest replacing ``quote`` with ``proposal``."""
    minutes = Minutes.objects.select_related("session").filter(session_id=session_id).first()
    if minutes is None or not access.access_comment_minutes(user, minutes):
        raise NotAllowed()
    if not minutes.review_is_open():
        raise ReviewClosed()
    assert isinstance(user, User)  # access_comment_minutes: logged in
    text, quote, proposal = _clean(text, MAX_TEXT), _clean(quote, MAX_QUOTE), _clean(proposal)
    if not text:
        raise InvalidComment(_("Write a comment."))
    if quote and quote == proposal:
        raise InvalidComment(_("The proposed text is the same as the quoted passage."))
    if proposal and not quote:
        raise InvalidComment(_("Quote the passage that your proposed text replaces."))
    if quote:
        _check_quote(minutes, quote)
    with transaction.atomic():
        Minutes.objects.select_for_update().filter(pk=minutes.pk).values_list("pk").get()
        version = minutes.version + 1
        mine = ReviewComment.objects.filter(minutes=minutes, version=version, author=user)
        if mine.count() >= MAX_COMMENTS_PER_PERSON:
            raise InvalidComment(_("You have left as many comments as a review allows."))
        return ReviewComment.objects.create(
            minutes=minutes,
            version=version,
            author=user,
            text=text,
            quote=quote,
            proposal=proposal,
        )


def _clean(value: str, limit: int = MAX_TEXT) -> str:
    """Plain text as it is kept: trimmed, bounded, without NUL (PostgreSQL refuses it)."""
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise InvalidComment(_("The text contains a character that cannot be kept."))
    if len(value) > limit:
        raise InvalidComment(
            _("A text may be %(limit)s characters long at most.") % {"limit": limit}
        )
    return value


def _check_quote(minutes: Minutes, quote: str) -> None:
    doc = load_doc(store.load_document(minutes.pk).blobs())
    found = len(find_passage(doc, quote))
    if found == 0:
        raise InvalidComment(
            _(
                "This passage is not in the minutes as written: copy it exactly, "
                "within one paragraph."
            )
        )
    if found > 1:
        raise InvalidComment(
            _("This passage occurs several times in the minutes: quote a few more words.")
        )


@transaction.atomic
def answer_comment(
    comment_id: int, *, user: AnyUser, accept: bool, reply: str = ""
) -> ReviewComment:
    """Accept or decline a comment; accepting a suggestion applies it to the minutes.

    Locks the minutes row, then the comment. Raises ``PassageChanged`` when the
    quoted passage is no longer in the text exactly once (edited since).
    """
    minutes_id = (
        ReviewComment.objects.filter(pk=comment_id).values_list("minutes_id", flat=True).first()
    )
    if minutes_id is None:
        raise NotAllowed()
    minutes = (
        Minutes.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(pk=minutes_id)
        .first()
    )
    if minutes is None or not access.access_answer_comments(user, minutes):
        raise NotAllowed()
    comment = ReviewComment.objects.select_for_update().get(pk=comment_id)
    if comment.status != ReviewComment.Status.OPEN:
        raise AlreadyAnswered()
    if not minutes.is_editable:
        raise InvalidState(
            _("Approved or published minutes are locked: go back to draft to answer.")
        )
    reply = _clean(reply)
    if accept and comment.is_suggestion:
        _apply_suggestion(minutes, comment, user)
    comment.status = ReviewComment.Status.ACCEPTED if accept else ReviewComment.Status.DECLINED
    comment.reply = reply
    comment.decided_at = timezone.now()
    comment.decided_by = user if user.is_authenticated else None
    comment.save(update_fields=["status", "reply", "decided_at", "decided_by"])
    log_action(
        actor=user,
        action="minutes.comment.accept" if accept else "minutes.comment.decline",
        session=minutes.session,
        minutes=minutes.pk,
        comment=comment.pk,
        suggestion=comment.is_suggestion,
    )
    return comment


def _apply_suggestion(minutes: Minutes, comment: ReviewComment, user: AnyUser) -> None:
    """Store the replacement as the note-taker's update; relay it after commit."""
    doc = load_doc(store.load_document(minutes.pk).blobs())
    try:
        update = replace_passage(doc, comment.quote, comment.proposal)
    except PassageNotFound:
        raise PassageChanged() from None
    store.append_server_edit(minutes.pk, update, user.pk, "review")


def comments_for(user: AnyUser, minutes: Minutes) -> QuerySet[ReviewComment]:
    """The comments ``user`` may read on the current review, oldest first.

    Note-takers and organisers read them all; anyone else their own.
    """
    comments = ReviewComment.objects.filter(
        minutes=minutes, version=minutes.version + 1
    ).select_related("author", "decided_by")
    if access.access_answer_comments(user, minutes):
        return comments.order_by("pk")
    if not user.is_authenticated:
        return comments.none()
    return comments.filter(author=user).order_by("pk")
