"""The workflow after the session: review, approval, publication, reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from assemblies.models import AuditEntry
from minutes import access
from minutes.exceptions import InvalidState, NotAllowed
from minutes.models import Minutes
from minutes.services import store, workflow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def minutes(session, participant) -> Minutes:
    return store.ensure_minutes(session.pk, user=participant)


def test_an_organiser_takes_the_minutes_from_draft_to_published(minutes, organiser, session):
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)
    published = workflow.publish_minutes(session.pk, user=organiser)

    assert published.status == Minutes.Status.PUBLISHED
    assert published.approved_by == organiser
    assert published.approved_at is not None
    assert published.published_at is not None
    assert published.version == 1
    assert published.published_html.startswith("<h2>Point 1</h2>")
    actions = list(
        AuditEntry.objects.filter(session=session).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["minutes.submit", "minutes.approve", "minutes.publish"]
    entry = AuditEntry.objects.filter(action="minutes.publish").get()
    assert entry.actor == organiser
    assert entry.data == {
        "minutes": minutes.pk,
        "previous": "approved",
        "status": "published",
        "version": 1,
    }


def test_a_note_taker_cannot_move_the_minutes(minutes, session):
    note_taker = factories.make_note_taker(session)

    with pytest.raises(NotAllowed):
        workflow.submit_minutes(session.pk, user=note_taker)
    assert Minutes.objects.get(pk=minutes.pk).status == Minutes.Status.DRAFT


def test_steps_cannot_be_skipped(minutes, organiser, session):
    with pytest.raises(InvalidState):
        workflow.publish_minutes(session.pk, user=organiser)
    with pytest.raises(InvalidState):
        workflow.reopen_minutes(session.pk, user=organiser)
    with pytest.raises(InvalidState):
        workflow.correct_minutes(session.pk, user=organiser)


def test_submitting_opens_the_review_for_a_week_or_until_the_chosen_end(
    minutes, organiser, session
):
    before = timezone.now()
    submitted = workflow.submit_minutes(session.pk, user=organiser)

    assert submitted.review_ends_at - before >= timedelta(days=7)
    assert submitted.review_ends_at - before < timedelta(days=7, minutes=1)
    assert submitted.review_is_open()
    assert not submitted.review_is_open(submitted.review_ends_at)

    workflow.reopen_minutes(session.pk, user=organiser)
    end = timezone.now() + timedelta(days=2)
    assert (
        workflow.submit_minutes(session.pk, user=organiser, review_ends_at=end).review_ends_at
        == end
    )


@pytest.mark.parametrize("delta", [timedelta(minutes=-1), timedelta(days=200)])
def test_a_review_end_in_the_past_or_months_away_is_refused(minutes, organiser, session, delta):
    with pytest.raises(InvalidState):
        workflow.submit_minutes(session.pk, user=organiser, review_ends_at=timezone.now() + delta)
    assert Minutes.objects.get(pk=minutes.pk).status == Minutes.Status.DRAFT


def test_going_back_to_draft_drops_the_approval(minutes, organiser, session):
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)

    reopened = workflow.reopen_minutes(session.pk, user=organiser)

    assert reopened.approved_at is None
    assert reopened.approved_by is None


def test_approved_minutes_are_read_only_until_reopened(minutes, organiser, session):
    note_taker = factories.make_note_taker(session)
    assert access.access_write_minutes(note_taker, minutes)

    workflow.submit_minutes(session.pk, user=organiser)
    assert access.access_write_minutes(note_taker, Minutes.objects.get(pk=minutes.pk))
    workflow.approve_minutes(session.pk, user=organiser)
    assert not access.access_write_minutes(note_taker, Minutes.objects.get(pk=minutes.pk))
    workflow.reopen_minutes(session.pk, user=organiser)
    assert access.access_write_minutes(note_taker, Minutes.objects.get(pk=minutes.pk))


def test_who_writes_and_who_reads(minutes, session, organiser, participant):
    note_taker = factories.make_note_taker(session)
    moderator = factories.make_user()
    factories.grant(moderator, "moderator", body=session.body)
    anonymous = AnonymousUser()

    assert access.access_write_minutes(note_taker, minutes)
    assert access.access_write_minutes(organiser, minutes)
    assert not access.access_write_minutes(moderator, minutes)
    assert not access.access_write_minutes(participant, minutes)
    assert not access.access_write_minutes(anonymous, minutes)
    assert access.access_read_minutes(anonymous, session)
    assert not access.access_read_published(anonymous, minutes)
