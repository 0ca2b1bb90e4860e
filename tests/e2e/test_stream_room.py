"""The room closes live at the end of its grace period: the server tells the page.

A resident is still in the room after the session, within its grace period. When
the period runs out the server pushes ``room.status`` on the session socket and
the page closes the chat's and the questions' composers, with no reload.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assemblies.models import Session
from streaming.models import Stream
from tests import factories
from tests.e2e.pages import PASSWORD, log_in_with_cookie, post_in_chat, wait_until_connected

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_room_closes_live_when_the_grace_period_ends(new_page, live_server_url):
    # Ended 29 min 48 s ago with a 30-minute grace period: about 12 s of room left.
    end = timezone.now() - timedelta(minutes=29, seconds=48)
    session = factories.make_session(
        title="Comité de quartier",
        starts_at=end - timedelta(hours=2),
        ends_at=end,
        status=Session.Status.ENDED,
        started_at=end - timedelta(hours=2),
        ended_at=end,
    )
    factories.make_stream(session, kind=Stream.Kind.HLS, status=Stream.Status.ENDED)
    resident = factories.make_user("residente", password=PASSWORD)

    page = new_page()
    log_in_with_cookie(page, resident, live_server_url)
    page.goto(session.get_absolute_url())
    wait_until_connected(page)
    chat_form = page.locator("[data-chat-form]")
    expect(chat_form).to_be_visible()
    expect(page.locator("[data-questions-form]")).to_be_visible()
    post_in_chat(page, "Merci pour la séance")
    expect(page.locator("[data-session-page]")).to_have_attribute("data-room", "open")

    expect(chat_form).to_be_hidden(timeout=25_000)

    expect(page.locator("[data-chat-closed]")).to_be_visible()
    expect(page.locator("[data-questions-form]")).to_be_hidden()
    expect(page.locator("[data-questions-closed]")).to_be_visible()
    expect(page.locator("[data-session-page]")).to_have_attribute("data-room", "closed")
    expect(page.locator("[data-room-notice]")).to_have_text(re.compile("salle est fermée"))
    expect(page.locator("[data-announcer]")).to_have_text(re.compile("salle est fermée"))
    expect(page.locator("[data-enter-room]")).to_be_hidden()
