"""What the browser tests do on every page: log in, wait for the live socket, open the chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from assemblies.models import Session

#: The password the browser tests give the users they log in with.
PASSWORD = "mot-de-passe-de-test-e2e"


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
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


# -- accessibility ----------------------------------------------------------------------

#: axe-core's tags for WCAG 2.0 and 2.1, levels A and AA (RGAA 4 is built on them).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "frontend/node_modules/axe-core/axe.min.js"


def log_in_with_cookie(page, user, base_url: str) -> None:
    """Log ``user`` in by giving the browser a session cookie (no login form)."""
    from tests.conftest import session_cookie

    name, value = session_cookie(user).split("=", 1)
    page.context.add_cookies([{"name": name, "value": value, "url": base_url}])


def set_language(page, language: str, base_url: str) -> None:
    """Choose the interface language as the switcher does (Django's language cookie)."""
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page with the WCAG 2.1 A and AA rules; return its violations."""
    if not AXE_SCRIPT.exists():
        pytest.skip("axe-core is missing: run `npm ci` in frontend/ (make setup-test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
          return result.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
          }));
        }""",
        list(AXE_TAGS),
    )


def describe_violations(where: str, violations: list[dict]) -> str:
    """One line per rule and per failing element: what a failing test prints."""
    lines = [f"{len(violations)} WCAG 2.1 AA rule(s) fail on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


# -- the keyboard ------------------------------------------------------------------------

_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {visible: false, what: 'nothing (body)'};
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none';
  return {visible: outline || shadow, what: el.outerHTML.slice(0, 160)};
}"""


def assert_focus_visible(page) -> None:
    """The focused element shows it: an outline or a box shadow (WCAG 2.4.7)."""
    focus = page.evaluate(_FOCUS)
    assert focus["visible"], f"focus is not visible on {focus['what']}"


def is_focused(locator) -> bool:
    return locator.evaluate(
        "(el) => el === document.activeElement || el.contains(document.activeElement)"
    )


def tab_to(page, locator, *, presses: int = 120, key: str = "Tab") -> None:
    """Press Tab until ``locator`` has focus, checking that every stop shows its focus."""
    if locator.count() and is_focused(locator.first):
        return  # already there (an autofocus field)
    for _ in range(presses):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement === document.body"):
            continue  # past the last stop: the next press starts again from the top
        assert_focus_visible(page)
        if locator.count() and is_focused(locator.first):
            return
    raise AssertionError(f"{presses} presses of {key} never reached {locator}")


def tab_out_of(page, region, *, presses: int = 60) -> None:
    """Press Tab from inside ``region`` until focus leaves it: no keyboard trap (WCAG 2.1.2)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if not is_focused(region):
            return
    raise AssertionError(f"focus stayed in {region} after {presses} presses of Tab")
