"""The review period: comments and suggestions from attendees, answers from note-takers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from assemblies.models import AuditEntry
from minutes.exceptions import (
    AlreadyAnswered,
    InvalidComment,
    InvalidState,
    NotAllowed,
    PassageChanged,
    ReviewClosed,
)
from minutes.models import Minutes, MinutesUpdate, ReviewComment
from minutes.services import review, store, workflow
from minutes.services.document import (
    PassageNotFound,
    load_doc,
    render_html,
    replace_passage,
)
from tests import factories
from tests.minutes.documents import current_html, current_text, new_doc_with, write

TEXT = "Le budget est adopté à 11 voix contre 3."


def in_review(session, organiser, text: str = TEXT) -> Minutes:
    minutes = store.ensure_minutes(session.pk, user=organiser)
    write(minutes, text)
    return workflow.submit_minutes(session.pk, user=organiser)


def suggest(
    session, user, quote="à 11 voix", proposal="à 12 voix", text="Recompté."
) -> ReviewComment:
    return review.post_comment(session.pk, user=user, text=text, quote=quote, proposal=proposal)


# -- replacing a passage ------------------------------------------------------------------------


def test_a_passage_is_replaced_with_accents_and_its_marks_kept():
    doc = new_doc_with(("Décision : ", None), ("adoptée à 11 voix", {"bold": {}}), (" ici.", None))

    replace_passage(doc, "à 11 voix", "à 12 voix, été")

    assert render_html(doc) == "<p>Décision : <strong>adoptée à 12 voix, été</strong> ici.</p>"


def test_a_passage_is_removed_with_an_empty_replacement():
    doc = new_doc_with(("Un, deux, trois.", None))

    replace_passage(doc, " deux,", "")

    assert render_html(doc) == "<p>Un, trois.</p>"


@pytest.mark.parametrize("passage", ["absent", "a", ""])
def test_a_passage_missing_or_found_twice_is_not_replaced(passage):
    doc = new_doc_with(("a et a", None))

    with pytest.raises(PassageNotFound):
        replace_passage(doc, passage, "b")
    assert render_html(doc) == "<p>a et a</p>"


def test_the_update_applies_to_another_copy_of_the_document():
    doc = new_doc_with(("Vote à 11 voix.", {"italic": {}}))
    copy = load_doc([doc.get_update()])

    update = replace_passage(doc, "11", "12")
    copy.apply_update(update)

    assert render_html(copy) == "<p><em>Vote à 12 voix.</em></p>"


# -- comments ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_attendees_comment_and_note_takers_read_them_all(session, organiser, participant):
    in_review(session, organiser)
    note_taker = factories.make_note_taker(session)
    other = factories.make_user(username="voisin")

    mine = review.post_comment(session.pk, user=participant, text="  Merci pour ce compte rendu. ")
    theirs = suggest(session, other)

    assert mine.text == "Merci pour ce compte rendu."
    assert not mine.is_suggestion
    assert theirs.is_suggestion
    assert theirs.version == 1
    minutes = Minutes.objects.get(session=session)
    assert list(review.comments_for(note_taker, minutes)) == [mine, theirs]
    assert list(review.comments_for(organiser, minutes)) == [mine, theirs]
    assert list(review.comments_for(participant, minutes)) == [mine]
    assert list(review.comments_for(AnonymousUser(), minutes)) == []


@pytest.mark.django_db
def test_visitors_who_are_not_logged_in_cannot_comment(session, organiser):
    in_review(session, organiser)

    with pytest.raises(NotAllowed):
        review.post_comment(session.pk, user=AnonymousUser(), text="Bonjour")


@pytest.mark.django_db
def test_comments_are_closed_outside_the_review_period(session, organiser, participant):
    minutes = store.ensure_minutes(session.pk, user=organiser)
    with pytest.raises(ReviewClosed):
        review.post_comment(session.pk, user=participant, text="Trop tôt")

    workflow.submit_minutes(session.pk, user=organiser)
    Minutes.objects.filter(pk=minutes.pk).update(review_ends_at=timezone.now() - timedelta(1))
    with pytest.raises(ReviewClosed):
        review.post_comment(session.pk, user=participant, text="Trop tard")

    # Approval stays possible once the period is over.
    assert workflow.approve_minutes(session.pk, user=organiser).status == Minutes.Status.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"text": "   "}, "Write a comment"),
        ({"text": "x" * 2001}, "2000 characters"),
        ({"text": "a\x00b"}, "character"),
        ({"text": "Oui", "proposal": "12"}, "Quote the passage"),
        ({"text": "Oui", "quote": "absent", "proposal": "12"}, "not in the minutes"),
        ({"text": "Oui", "quote": "e", "proposal": "12"}, "several times"),
        ({"text": "Oui", "quote": "11", "proposal": "11"}, "the same"),
        ({"text": "Oui", "quote": "x" * 501, "proposal": "y"}, "500 characters"),
    ],
)
def test_bad_comments_are_refused_with_a_reason(session, organiser, participant, fields, words):
    in_review(session, organiser)

    with translation.override("en"), pytest.raises(InvalidComment, match=words):
        review.post_comment(session.pk, user=participant, **fields)
    assert not ReviewComment.objects.exists()


# -- answers -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_accepting_a_suggestion_changes_the_minutes_as_the_note_takers_edit(
    session, organiser, participant
):
    minutes = in_review(session, organiser)
    note_taker = factories.make_note_taker(session)
    comment = suggest(session, participant)

    answered = review.answer_comment(comment.pk, user=note_taker, accept=True, reply="Corrigé.")

    assert answered.status == ReviewComment.Status.ACCEPTED
    assert answered.reply == "Corrigé."
    assert answered.decided_by == note_taker
    assert "Le budget est adopté à 12 voix contre 3." in current_text(minutes)
    assert MinutesUpdate.objects.filter(minutes=minutes).last().author == note_taker
    entry = AuditEntry.objects.filter(action="minutes.comment.accept").get()
    assert entry.actor == note_taker
    assert entry.data == {"minutes": minutes.pk, "comment": comment.pk, "suggestion": True}


@pytest.mark.django_db
def test_declining_or_accepting_a_plain_comment_leaves_the_text(session, organiser, participant):
    minutes = in_review(session, organiser)
    before = MinutesUpdate.objects.filter(minutes=minutes).count()
    suggestion = suggest(session, participant)
    remark = review.post_comment(session.pk, user=participant, text="Bien vu.")

    review.answer_comment(suggestion.pk, user=organiser, accept=False, reply="Le PV dit 11.")
    review.answer_comment(remark.pk, user=organiser, accept=True)

    assert ReviewComment.objects.get(pk=suggestion.pk).status == ReviewComment.Status.DECLINED
    assert ReviewComment.objects.get(pk=remark.pk).status == ReviewComment.Status.ACCEPTED
    assert MinutesUpdate.objects.filter(minutes=minutes).count() == before
    assert TEXT in current_text(minutes)


@pytest.mark.django_db
def test_only_note_takers_and_organisers_answer_and_only_once(session, organiser, participant):
    in_review(session, organiser)
    comment = suggest(session, participant)

    with pytest.raises(NotAllowed):
        review.answer_comment(comment.pk, user=participant, accept=True)
    with pytest.raises(NotAllowed):
        review.answer_comment(424242, user=organiser, accept=True)
    review.answer_comment(comment.pk, user=organiser, accept=True)
    with pytest.raises(AlreadyAnswered):
        review.answer_comment(comment.pk, user=organiser, accept=False)


@pytest.mark.django_db
def test_a_suggestion_whose_passage_was_edited_since_is_not_applied(
    session, organiser, participant
):
    minutes = in_review(session, organiser)
    comment = suggest(session, participant)
    write(minutes, "Le budget est adopté à l'unanimité.")

    with pytest.raises(PassageChanged):
        review.answer_comment(comment.pk, user=organiser, accept=True)

    assert ReviewComment.objects.get(pk=comment.pk).status == ReviewComment.Status.OPEN
    assert "à l'unanimité" in current_text(minutes)


@pytest.mark.django_db
def test_approved_minutes_are_locked_for_answers(session, organiser, participant):
    in_review(session, organiser)
    comment = suggest(session, participant)
    workflow.approve_minutes(session.pk, user=organiser)

    with pytest.raises(InvalidState):
        review.answer_comment(comment.pk, user=organiser, accept=True)


@pytest.mark.django_db(transaction=True)
async def test_an_accepted_suggestion_reaches_open_editors_live(
    session, organiser, participant, note_taker, minutes_client
):
    await database_sync_to_async(in_review)(session, organiser)
    comment = await database_sync_to_async(suggest)(session, participant)
    editor = await minutes_client(session.pk, note_taker)
    reader = await minutes_client(session.pk)
    assert "à 11 voix" in editor.text()

    await database_sync_to_async(review.answer_comment)(comment.pk, user=note_taker, accept=True)

    await editor.wait_for(lambda c: "à 12 voix contre 3." in c.text())
    await reader.wait_for(lambda c: "à 12 voix contre 3." in c.text())
    # The editor keeps writing on the changed text; the server stores it all.
    editor.type_into(3, "Suite.")
    await reader.wait_for(lambda c: "Suite." in c.text())
    minutes = await Minutes.objects.aget(session=session)
    text = await database_sync_to_async(current_text)(minutes)
    assert "à 12 voix contre 3." in text
    assert "Suite." in text


# -- pages ---------------------------------------------------------------------------------


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_review_page_shows_the_text_beside_the_comments(session, organiser, participant):
    in_review(session, organiser)
    review.post_comment(session.pk, user=participant, text="<script>alert(1)</script>")
    note_taker = factories.make_note_taker(session)

    html = client_for(note_taker).get(f"/sessions/{session.pk}/minutes/review/").content.decode()

    assert f"<p>{TEXT}</p>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert f'action="/sessions/{session.pk}/minutes/review/' in html  # answer forms
    assert 'value="accept"' in html


@pytest.mark.django_db
def test_an_attendee_comments_with_the_form_and_reads_the_answer(session, organiser, participant):
    minutes = in_review(session, organiser)
    url = f"/sessions/{session.pk}/minutes/review/"
    attendee = client_for(participant)

    response = attendee.post(
        url, {"text": "Il y avait 12 voix.", "quote": "à 11 voix", "proposal": "à 12 voix"}
    )

    assert response.status_code == 302
    comment = ReviewComment.objects.get()
    assert response["Location"] == f"{url}#comment-{comment.pk}"
    answer = client_for(organiser).post(
        f"{url}{comment.pk}/answer/", {"decision": "accept", "reply": "Merci, corrigé."}
    )
    assert answer.status_code == 302
    assert "à 12 voix" in current_html(minutes)
    page = attendee.get(url).content.decode()
    assert "Merci, corrigé." in page
    assert "Il y avait 12 voix." in page


@pytest.mark.django_db
def test_a_bad_comment_gets_form_errors(session, organiser, participant):
    in_review(session, organiser)

    response = client_for(participant).post(
        f"/sessions/{session.pk}/minutes/review/", {"text": "", "proposal": "12"}
    )

    assert response.status_code == 400
    assert response.content.decode().count('class="errorlist"') >= 2
    assert not ReviewComment.objects.exists()


@pytest.mark.django_db
def test_a_late_comment_is_refused_with_a_clear_error(session, organiser, participant):
    minutes = in_review(session, organiser)
    Minutes.objects.filter(pk=minutes.pk).update(review_ends_at=timezone.now() - timedelta(1))

    response = client_for(participant).post(
        f"/sessions/{session.pk}/minutes/review/", {"text": "Encore une chose."}
    )

    assert response.status_code == 400
    with translation.override("fr"):
        assert escape(ReviewClosed().message) in response.content.decode()


@pytest.mark.django_db
def test_visitors_are_sent_to_log_in_and_strangers_cannot_answer(session, organiser, participant):
    in_review(session, organiser)
    comment = suggest(session, participant)
    url = f"/sessions/{session.pk}/minutes/review/"

    assert Client().get(url).status_code == 200
    assert Client().post(url, {"text": "Bonjour"})["Location"].startswith("/accounts/login/")
    assert (
        client_for(participant)
        .post(f"{url}{comment.pk}/answer/", {"decision": "accept"})
        .status_code
        == 404
    )
    other = factories.make_session()
    assert (
        client_for(organiser)
        .post(f"/sessions/{other.pk}/minutes/review/{comment.pk}/answer/", {"decision": "accept"})
        .status_code
        == 404
    )
    assert ReviewComment.objects.get(pk=comment.pk).status == ReviewComment.Status.OPEN


@pytest.mark.django_db
def test_the_session_page_links_the_review_and_asks_for_its_end(session, organiser):
    store.ensure_minutes(session.pk, user=organiser)
    client = client_for(organiser)

    draft = client.get(session.get_absolute_url()).content.decode()
    assert 'name="review_ends_at"' in draft

    end = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/sessions/{session.pk}/minutes/submit/", {"review_ends_at": end})
    minutes = Minutes.objects.get(session=session)
    assert timezone.localtime(minutes.review_ends_at).strftime("%Y-%m-%dT%H:%M") == end
    page = Client().get(session.get_absolute_url()).content.decode()
    assert f'href="/sessions/{session.pk}/minutes/review/"' in page


@pytest.mark.django_db
def test_a_review_end_in_the_past_is_refused_on_the_form(session, organiser):
    store.ensure_minutes(session.pk, user=organiser)
    client = client_for(organiser)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        f"/sessions/{session.pk}/minutes/submit/", {"review_ends_at": past}, follow=True
    )

    assert Minutes.objects.get(session=session).status == Minutes.Status.DRAFT
    with translation.override("fr"):
        expected = escape(translation.gettext("The end of the review must be in the future."))
    assert expected in response.content.decode()
    response = client.post(
        f"/sessions/{session.pk}/minutes/submit/", {"review_ends_at": "demain"}, follow=True
    )
    assert Minutes.objects.get(session=session).status == Minutes.Status.DRAFT
    assert 'class="message message--error"' in response.content.decode()


@pytest.mark.django_db
def test_a_person_downloads_their_comments_and_erasing_them_keeps_the_answer(
    session, organiser, participant
):
    from accounts.personal_data import erase_account, export_data

    in_review(session, organiser)
    comment = suggest(session, participant)
    review.answer_comment(comment.pk, user=organiser, accept=True, reply="Merci.")

    data = export_data(participant)["minutes"]["review_comments"]
    assert [(c["quote"], c["proposal"], c["status"]) for c in data] == [
        ("à 11 voix", "à 12 voix", "accepted")
    ]
    erase_account(participant)
    kept = ReviewComment.objects.get(pk=comment.pk)
    assert kept.author is None
    assert kept.reply == "Merci."


@pytest.mark.django_db
def test_comments_go_past_the_body_retention_and_the_minutes_stay(session, organiser, participant):
    from minutes.personal_data import purge_session

    in_review(session, organiser)
    review.post_comment(session.pk, user=participant, text="Merci.")

    assert purge_session(session) == 1
    assert not ReviewComment.objects.exists()
    assert Minutes.objects.filter(session=session).exists()
