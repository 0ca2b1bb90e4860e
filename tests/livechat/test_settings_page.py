"""The chat settings page: moderators set the chat's rules, lift bans and read
the moderation log; nobody else finds the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assemblies.models import AuditEntry, Role
from livechat.models import ChatSettings
from livechat.services import messages, moderation, sanctions
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(session):
    user = factories.make_user("modo", display_name="Modératrice Inès")
    factories.grant(user, Role.Kind.MODERATOR, body=session.body)
    return user


def url(session) -> str:
    return reverse("livechat:chat_settings", kwargs={"pk": session.pk})


RULES = {
    "mode": "pre_moderated",
    "slow_mode_seconds": "20",
    "new_account_minutes": "15",
    "report_threshold": "2",
    "blocked_words": "gros mot\nrue Zola",
    "starter_blocklists": "on",
}


def test_a_moderator_sets_the_rules_and_the_room_is_told(client, session, moderator):
    client.force_login(moderator)

    response = client.post(url(session), RULES, follow=True)

    assert response.status_code == 200
    assert "Les réglages du chat sont enregistrés." in response.content.decode()
    settings = ChatSettings.objects.get(session=session)
    assert (settings.mode, settings.slow_mode_seconds, settings.new_account_minutes) == (
        "pre_moderated",
        20,
        15,
    )
    assert settings.report_threshold == 2
    assert settings.blocked_words == "gros mot\nrue Zola"
    assert settings.questions_premoderated is False
    assert AuditEntry.objects.filter(action="chat.configure", actor=moderator).exists()


def test_out_of_range_values_are_form_errors_and_nothing_changes(client, session, moderator):
    client.force_login(moderator)
    ChatSettings.objects.create(session=session, slow_mode_seconds=5)

    response = client.post(url(session), RULES | {"slow_mode_seconds": "99999"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert ChatSettings.objects.get(session=session).slow_mode_seconds == 5


@pytest.mark.parametrize("who", ["anonymous", "participant", "note_taker"])
def test_nobody_else_finds_the_page(client, session, participant, who):
    if who == "participant":
        client.force_login(participant)
    if who == "note_taker":
        user = factories.make_user("scribe")
        factories.grant(user, Role.Kind.NOTE_TAKER, body=session.body)
        client.force_login(user)

    response = client.post(url(session), RULES)

    assert response.status_code in {302, 404}  # log in first, or not found
    assert not ChatSettings.objects.filter(session=session).exists()


def test_the_page_lists_who_is_barred_and_a_moderator_lifts_it(
    client, session, moderator, participant
):
    sanctions.sanction_user(session.pk, participant.pk, user=moderator, reason="insultes")
    client.force_login(moderator)

    page = client.get(url(session)).content.decode()
    assert "Habitant" in page
    assert "insultes" in page
    lift = reverse("livechat:lift_sanction", kwargs={"pk": session.pk, "user_id": participant.pk})
    response = client.post(lift, follow=True)

    assert sanctions.active_sanction(session.pk, participant.pk) is None
    assert "Personne n’est privé de parole." in response.content.decode()


def test_the_log_says_who_did_what_on_which_message_and_why(
    client, session, moderator, participant
):
    message = messages.post_message(
        session.pk, user=participant, text="Message hors sujet", client_id="a"
    )
    moderation.hide_message(message.pk, user=moderator, ground="off_topic", reason="pas ici")
    client.force_login(moderator)

    page = client.get(url(session)).content.decode()

    assert "Modératrice Inès" in page
    assert "a masqué un message" in page
    assert "« Message hors sujet »" in page
    assert "hors sujet : pas ici" in page or "hors sujet: pas ici" in page


def test_the_log_reads_the_database_a_fixed_number_of_times(
    client, session, moderator, participant, django_assert_max_num_queries
):
    for n in range(10):
        author = factories.make_user(f"auteur{n}")
        message = messages.post_message(session.pk, user=author, text=f"n°{n}", client_id="c")
        moderation.hide_message(message.pk, user=moderator, reason="non")
        sanctions.sanction_user(session.pk, author.pk, user=moderator, minutes=5)
    client.force_login(moderator)

    with django_assert_max_num_queries(12):
        assert client.get(url(session)).status_code == 200
