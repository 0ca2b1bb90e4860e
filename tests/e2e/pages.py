"""What the browser tests do on every page: log in, wait for the live socket, open the chat."""

from __future__ import annotations

from playwright.sync_api import expect

from assemblies.models import Session

#: The password the browser tests give the users they log in with.
PASSWORD = "mot-de-passe-de-test-e2e"


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"**{next_url}")


def wait_until_connected(page) -> None:
    page.wait_for_function(
        "document.querySelector('[data-session-page]').dataset.socket === 'open'"
    )


def open_chat(page, user, session: Session) -> None:
    """Log ``user`` in on the session page and wait until they can post."""
    log_in(page, user.username, session.get_absolute_url())
    expect(page.locator("[data-chat-form]")).to_be_visible()


def post_in_chat(page, text: str) -> None:
    """Type ``text`` in the chat's box and send it with Enter; wait until it is sent."""
    box = page.locator("#chat-text")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def chat_message(page, text: str):
    """The chat log's messages that contain ``text``."""
    return page.locator("[data-chat-list] > li").filter(has_text=text)


def review_item(page, text: str):
    """The items of the moderators' review queue that contain ``text``."""
    return page.locator("[data-chat-queue-list] > li").filter(has_text=text)
