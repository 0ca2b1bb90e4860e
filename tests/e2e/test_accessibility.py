"""Every page type passes axe-core's WCAG 2.1 A and AA rules, in French and in English.

axe-core (frontend/node_modules, a devDependency) is injected by Playwright into
each page once it has settled (session pages: the live socket is open); the test
fails with the rule ids, their targets and the page. What axe cannot judge (focus
order, meaning of a label, what a screen reader announces) is covered by the
keyboard journeys in test_keyboard.py and by the aria-live assertions of the
other browser tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from assemblies.models import Body, Event, Role, Session
from assemblies.services import live
from livechat.models import ChatSettings
from livechat.services.messages import post_message
from livechat.services.questions import ask_question
from minutes.models import Minutes
from streaming.models import Stream
from tests import factories
from tests.e2e.pages import (
    AXE_TAGS,
    axe_violations,
    describe_violations,
    log_in_with_cookie,
    set_language,
    wait_until_connected,
)
from tests.streaming.media import make_hls, serve_directory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A short HLS stream served over HTTP: the live broadcast and its replay."""
    root = tmp_path_factory.mktemp("a11y-media")
    make_hls(root / "live", seconds=6)
    with serve_directory(root) as url:
        yield url


@dataclass
class World:
    """One of each thing a page can show, and who may see it."""

    event: Event
    body: Body
    before: Session
    during: Session
    after: Session
    users: dict[str, User]


@pytest.fixture
def world(db, media) -> World:
    event = factories.make_event(title="Assises de la médiation numérique", slug="assises")
    body = factories.make_body(name="Comité de quartier Centre", slug="cq-centre")
    starts = timezone.now() + timedelta(hours=1)
    before = factories.make_session(
        body=body,
        title="Conseil de quartier",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    factories.make_stream(before, kind=Stream.Kind.HLS, url=f"{media}/live/index.m3u8")
    during = factories.make_session(event=event, title="Plénière d’ouverture")
    after = factories.make_session(body=body, title="Assemblée de printemps")
    titles = ["Accueil et adoption de l’ordre du jour", "Budget participatif", "Questions diverses"]
    for session in (before, during, after):
        for item, title in zip(session.agenda_items.order_by("position"), titles, strict=True):
            item.title = title
            item.save(update_fields=["title"])

    organiser = factories.make_user("organisatrice", display_name="Organisatrice")
    for kind, where in (
        (Role.Kind.ORGANISER, {"body": body}),
        (Role.Kind.ORGANISER, {"event": event}),
    ):
        factories.grant(organiser, kind, **where)
    moderator = factories.make_user("modo", display_name="Modératrice")
    factories.grant(moderator, Role.Kind.MODERATOR, event=event)
    note_taker = factories.make_note_taker(during, username="secretaire")
    resident = factories.make_user("habitante", display_name="Awa")

    live.start_session(during.pk, user=organiser)
    live.advance_agenda(during.pk, user=organiser)
    stream = factories.make_stream(during, kind=Stream.Kind.HLS, url=f"{media}/live/index.m3u8")
    Stream.objects.filter(pk=stream.pk).update(status=Stream.Status.LIVE, started_at=timezone.now())
    ChatSettings.objects.create(session=during, mode=ChatSettings.Mode.POST_MODERATED)
    for text in ("Bonjour à toutes et à tous", "Le micro est coupé au fond de la salle"):
        post_message(during.pk, user=resident, text=text, client_id=f"a11y-{next(_ids)}")
    ask_question(
        during.pk, user=resident, text="Quand les travaux commencent-ils ?", client_id="a11y-q"
    )

    live.start_session(after.pk, user=organiser)
    live.end_session(after.pk, user=organiser)
    replay = factories.make_stream(
        after,
        kind=Stream.Kind.HLS,
        url=f"{media}/live/index.m3u8",
        replay_url=f"{media}/live/index.m3u8",
    )
    Stream.objects.filter(pk=replay.pk).update(
        status=Stream.Status.REPLAY,
        started_at=timezone.now() - timedelta(minutes=5),
        ended_at=timezone.now() - timedelta(minutes=1),
    )
    Minutes.objects.create(
        session=after,
        status=Minutes.Status.PUBLISHED,
        published_at=timezone.now(),
        published_html="<h2>Point 1</h2><p>Le comité adopte le budget.</p>",
        version=1,
    )
    users = {
        "organiser": organiser,
        "moderator": moderator,
        "note_taker": note_taker,
        "resident": resident,
    }
    return World(event, body, before, during, after, users)


def _session(name: str) -> Callable[[World], str]:
    return lambda w: getattr(w, name).get_absolute_url()


def _reset_confirm(w: World) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = w.users["resident"]
    user.email = "awa@example.org"
    user.save(update_fields=["email"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"


#: page type -> (who is logged in, how to find its address, whether it has the live socket)
PAGES: dict[str, tuple[str | None, Callable[[World], str], bool]] = {
    "home": (None, lambda w: "/", False),
    "body": (None, lambda w: w.body.get_absolute_url(), False),
    "event programme": (None, lambda w: w.event.get_absolute_url(), False),
    "session before the broadcast": (None, _session("before"), True),
    "session during the broadcast": ("resident", _session("during"), True),
    "session after the broadcast (replay)": (None, _session("after"), True),
    "session as organiser (console)": ("organiser", _session("during"), True),
    "session as organiser before the broadcast": ("organiser", _session("before"), True),
    "session as moderator (review queue)": ("moderator", _session("during"), True),
    "session as note-taker (minutes)": ("note_taker", _session("during"), True),
    "projector": ("moderator", lambda w: f"/sessions/{w.during.pk}/projector/", False),
    "chat settings": ("moderator", lambda w: f"/sessions/{w.during.pk}/chat/settings/", False),
    "bridge settings": ("organiser", lambda w: f"/events/{w.event.slug}/bridge/", False),
    "stream settings": ("organiser", lambda w: f"/sessions/{w.during.pk}/stream/", False),
    "check-in code": ("organiser", lambda w: f"/sessions/{w.during.pk}/check-in/code/", False),
    "published minutes": (None, lambda w: f"/sessions/{w.after.pk}/minutes/", False),
    "login": (None, lambda w: "/accounts/login/", False),
    "signup": (None, lambda w: "/accounts/signup/", False),
    "password reset": (None, lambda w: "/accounts/password/reset/", False),
    "password reset sent": (None, lambda w: "/accounts/password/reset/sent/", False),
    "password reset confirm": (None, _reset_confirm, False),
    "password reset complete": (None, lambda w: "/accounts/password/reset/done/", False),
    "my data": ("resident", lambda w: "/accounts/me/", False),
    "privacy": (None, lambda w: "/accounts/privacy/", False),
    "not found (404)": (None, lambda w: "/nulle-part/", False),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_the_page_has_no_wcag_21_aa_violation(new_page, live_server_url, world, kind, language):
    who, address, live_socket = PAGES[kind]
    page = new_page()
    if who is not None:
        log_in_with_cookie(page, world.users[who], live_server_url)
    set_language(page, language, live_server_url)
    url = address(world)

    response = page.goto(url)
    assert response is not None
    if kind.startswith("not found"):
        assert response.status == 404
    else:
        assert response.ok, f"{kind}: {url} answered {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    if live_socket:
        wait_until_connected(page)
        # Let the snapshot and the player's first state render before judging.
        page.wait_for_timeout(500)
    if kind == "session during the broadcast":
        expect(page.locator("[data-enter-room]")).to_be_visible(timeout=20_000)
    if kind == "session as moderator (review queue)":
        expect(page.locator("[data-chat-queue-list] > li").first).to_be_visible()

    violations = axe_violations(page)

    assert not violations, describe_violations(f"{kind} [{language}] {url}", violations)


def test_the_axe_run_checks_the_wcag_21_aa_tags():
    assert set(AXE_TAGS) == {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}


# -- low vision, small screens, motion ------------------------------------------------

#: The pages people read on a phone, and who reads them.
REFLOW = [
    "home",
    "body",
    "event programme",
    "session during the broadcast",
    "session as organiser (console)",
    "session as moderator (review queue)",
    "session as note-taker (minutes)",
    "chat settings",
    "stream settings",
    "login",
    "my data",
    "privacy",
]

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('');
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map(name);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""

MOVING = """() => {
  const moves = (style) => (style.animationName !== 'none'
      && parseFloat(style.animationDuration) > 0.01)
    || parseFloat(style.transitionDuration) > 0.01;
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      if (moves(getComputedStyle(el, pseudo))) found.push(el.tagName + (pseudo || ''));
    }
  }
  return found.slice(0, 5);
}"""


def open_as(new_page, live_server_url, world, kind, **context):
    who, address, live_socket = PAGES[kind]
    page = new_page(**context)
    if who is not None:
        log_in_with_cookie(page, world.users[who], live_server_url)
    page.goto(address(world))
    if live_socket:
        wait_until_connected(page)
        page.wait_for_timeout(300)
    return page


def assert_no_horizontal_scroll(page, where: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], (
        f"{where}: the page is {found['scroll']} px wide in a {found['width']} px window; "
        f"too wide: {found['wide']}"
    )


@pytest.mark.parametrize("kind", REFLOW)
def test_the_page_reflows_at_320_css_pixels(new_page, live_server_url, world, kind):
    page = open_as(new_page, live_server_url, world, kind)
    page.set_viewport_size({"width": 320, "height": 640})
    page.wait_for_timeout(100)

    assert_no_horizontal_scroll(page, f"{kind} at 320 px")


@pytest.mark.parametrize("kind", ["session as moderator (review queue)", "chat settings", "home"])
def test_text_resized_to_200_percent_loses_nothing(new_page, live_server_url, world, kind):
    page = open_as(new_page, live_server_url, world, kind)
    page.set_viewport_size({"width": 1280, "height": 900})
    # What a browser's text-only zoom does: every rem and em doubles.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(100)

    assert_no_horizontal_scroll(page, f"{kind} with text at 200 %")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('main h1, main h2, main label, main button, main p')]
          .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
          .filter((el) => ['hidden', 'clip'].includes(getComputedStyle(el).overflowY)
                          && el.scrollHeight > el.clientHeight + 2)
          .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert not clipped, f"{kind}: text cut off at 200 %: {clipped}"


def test_reduced_motion_stops_transitions_and_animations(new_page, live_server_url, world):
    page = open_as(new_page, live_server_url, world, "session as moderator (review queue)")
    page.emulate_media(reduced_motion="reduce")

    moving = page.evaluate(MOVING)

    assert not moving, f"still moving with reduced motion: {moving}"


def test_the_high_contrast_option_is_remembered_and_stays_aa(new_page, live_server_url, world):
    page = open_as(new_page, live_server_url, world, "session as moderator (review queue)")
    toggle = page.locator("[data-contrast-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()

    page.keyboard.press("Enter")

    html = page.locator("html")
    expect(html).to_have_attribute("data-contrast", "high")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload()
    wait_until_connected(page)
    expect(html).to_have_attribute("data-contrast", "high")
    expect(page.locator("[data-contrast-toggle]")).to_have_attribute("aria-pressed", "true")
    violations = axe_violations(page)
    assert not violations, describe_violations(
        "high contrast, moderator's session page", violations
    )
    page.goto("/")
    expect(html).to_have_attribute("data-contrast", "high")
    page.locator("[data-contrast-toggle]").focus()
    page.keyboard.press("Space")
    expect(html).not_to_have_attribute("data-contrast", "high")


def test_without_javascript_the_contrast_toggle_is_not_offered(browser, live_server_url, world):
    context = browser.new_context(base_url=live_server_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("[data-contrast-toggle]")).to_be_hidden()
    finally:
        context.close()


# -- the organisers' guide --------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_organiser_guide_pictures_each_step(
    new_page, live_server_url, world, screenshots_dir, language
):
    """Take the pictures of docs/guide-organisateurs.md and docs/organiser-guide.md.

    With PLENARY_UPDATE_SCREENSHOTS=1 they are written to docs/guide/, else to
    var/screenshots/guide/; each step is also checked as it is pictured.
    """
    shots = screenshots_dir / "guide"
    shots.mkdir(parents=True, exist_ok=True)

    def shot(target, name: str) -> None:
        target.screenshot(path=str(shots / f"{language}-{name}.png"))

    def as_user(user):
        page = new_page()
        page.set_viewport_size({"width": 1100, "height": 800})
        log_in_with_cookie(page, user, live_server_url)
        set_language(page, language, live_server_url)
        return page

    admin = factories.make_user("admin", is_staff=True, is_superuser=True)
    organiser = world.users["organiser"]

    # 1. The body, its roles and its calendar; the session and its agenda (admin).
    page = as_user(admin)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/admin/assemblies/body/{world.body.pk}/change/")
    expect(page.locator("#body_form")).to_be_visible()
    shot(page.locator("#content"), "1-admin-body")
    page.goto(f"/admin/assemblies/session/{world.before.pk}/change/")
    expect(page.locator("#session_form")).to_be_visible()
    shot(page.locator(".inline-group").first, "2-admin-agenda")

    # 2. Before the session: the organiser's consoles and the broadcast settings.
    page = as_user(organiser)
    page.goto(world.before.get_absolute_url())
    wait_until_connected(page)
    shot(page.locator(".session__grid"), "3-console-before")
    page.goto(f"/sessions/{world.before.pk}/stream/")
    shot(page, "4-stream-settings")

    # 3. During the session: the console, the chat settings, the review queue.
    page.goto(world.during.get_absolute_url())
    wait_until_connected(page)
    expect(page.locator("[data-session-page]")).to_have_attribute("data-status", "live")
    shot(page.locator(".panel--console"), "5-console-live")
    page.goto(f"/sessions/{world.during.pk}/chat/settings/")
    shot(page, "6-chat-settings")
    moderator = as_user(world.users["moderator"])
    moderator.goto(world.during.get_absolute_url())
    wait_until_connected(moderator)
    expect(moderator.locator("[data-chat-queue-list] > li").first).to_be_visible()
    shot(moderator.locator(".panel--chat"), "7-review-queue")
    moderator.goto(f"/sessions/{world.during.pk}/projector/")
    moderator.wait_for_timeout(500)
    shot(moderator, "8-projector")

    # 4. The minutes: written live, then taken to publication.
    writer = as_user(world.users["note_taker"])
    writer.goto(world.during.get_absolute_url())
    expect(writer.locator("[data-minutes]")).to_have_attribute("data-state", "synced")
    editor = writer.locator("[data-minutes-editor] .ProseMirror")
    editor.focus()
    writer.keyboard.press("Control+End")
    writer.keyboard.type("Le comité adopte le budget participatif (12 voix pour, 2 contre).")
    expect(editor).to_contain_text("budget participatif")
    shot(writer.locator(".panel--minutes"), "9-minutes-writing")
    page.goto(world.during.get_absolute_url())
    expect(page.locator(".minutes__workflow button").first).to_be_visible()
    shot(page.locator(".panel--minutes"), "10-minutes-workflow")
    page.goto(f"/sessions/{world.after.pk}/minutes/")
    shot(page, "11-minutes-published")
