"""Exports of a session's chat and questions, for its moderators and organisers."""

from __future__ import annotations

import csv
import io

import pytest

from assemblies.services import live
from livechat.services import messages, moderation, questions
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(session, organiser, participant):
    live.start_session(session.pk, user=organiser)
    hello = messages.post_message(
        session.pk, user=participant, text="Bonjour <b>tous</b>", client_id="1"
    )
    rude = messages.post_message(
        session.pk, user=participant, text='=HYPERLINK("x")', client_id="2"
    )
    moderation.hide_message(rude.pk, user=organiser, reason="abus")
    asked = questions.ask_question(
        session.pk, user=participant, text="Et le budget ?", client_id="q"
    )
    questions.vote_question(asked.pk, user=organiser)
    return hello, rude, asked


def test_the_csv_lists_messages_and_questions_with_their_item(
    client, session, organiser, conversation
):
    client.force_login(organiser)

    response = client.get(f"/sessions/{session.pk}/chat.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["status"], r["author"]) for r in rows] == [
        ("message", "visible", "Habitant"),
        ("message", "hidden", "Habitant"),
        ("question", "open", "Habitant"),
    ]
    assert {r["agenda_item"] for r in rows} == {"Point 1"}
    assert rows[2]["votes"] == "1"


def test_the_csv_neutralises_spreadsheet_formulas(client, session, organiser, conversation):
    client.force_login(organiser)

    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/sessions/{session.pk}/chat.csv").content.decode("utf-8-sig"))
        )
    )

    assert rows[2][-1] == '\'=HYPERLINK("x")'


def test_the_markdown_reads_as_a_record_without_html(client, session, organiser, conversation):
    client.force_login(organiser)

    text = client.get(f"/sessions/{session.pk}/chat.md").content.decode()

    assert text.startswith("# Réunion publique\n")
    assert "**Habitant** (Point 1): Bonjour &lt;b&gt;tous&lt;/b&gt;" in text
    assert "[hidden]" in text
    assert "Et le budget ?" in text
    assert "<b>" not in text


@pytest.mark.parametrize("path", ["chat.csv", "chat.md"])
def test_participants_and_visitors_cannot_export(client, session, participant, conversation, path):
    assert client.get(f"/sessions/{session.pk}/{path}").status_code == 404
    client.force_login(participant)
    assert client.get(f"/sessions/{session.pk}/{path}").status_code == 404


def test_a_moderator_exports_too(client, session):
    moderator = factories.make_user("modo")
    factories.grant(moderator, "moderator", body=session.body)
    client.force_login(moderator)

    assert client.get(f"/sessions/{session.pk}/chat.md").status_code == 200
