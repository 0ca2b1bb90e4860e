"""Browser tests: Playwright drives Debian's Chromium against a real ASGI server.

Playwright's sync API runs an event loop in this thread while a browser is open,
so the ORM calls that set up data here need DJANGO_ALLOW_ASYNC_UNSAFE, set only
for these tests; the browser closes with each module, so the async tests that
follow get a thread with no loop running.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PLENARY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def fast_password_hashing() -> None:
    """Users here log in on the server process, which uses the real password hashers."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_page(browser: Any, live_server_url: str) -> Iterator[Any]:
    """Open pages in fresh browser contexts (separate cookies), French by default."""
    contexts: list[Any] = []

    def open_page(locale: str = "fr-FR") -> Any:
        context = browser.new_context(
            base_url=live_server_url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshots_dir() -> Path:
    """docs/ with PLENARY_UPDATE_SCREENSHOTS=1 (to refresh the README's pictures),
    else var/screenshots/, so a test run leaves the work tree clean."""
    if os.environ.get("PLENARY_UPDATE_SCREENSHOTS") == "1":
        return DOCS
    path = DOCS.parent / "var" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
