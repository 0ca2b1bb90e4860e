"""Decisions, actions and broadcast times: the register, the published page, exports.

The blocks are written as the editor stores them (y-prosemirror's shape) and stored
through the same log as every edit; their attributes come from browsers, so the
tests give them what a hostile browser could. Pages and renderers speak English
here (the words are checked; French is the translators' part).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import XmlElement, XmlFragment, XmlText

from minutes.models import Minutes
from minutes.services import blocks, export, store, workflow
from minutes.services.document import FRAGMENT, load_doc, new_doc, render_html
from minutes.services.register import Action, Decision, minutes_register, read_register
from tests import factories

pytestmark = pytest.mark.django_db

#: Where a block lands in the skeleton [Point 1, p, Point 2, p, Point 3, p]: after
#: the paragraph of each item.
UNDER_POINT_1, UNDER_POINT_2 = 2, 4


def element(tag: str, text: str = "", **attributes: Any) -> XmlElement:
    return XmlElement(tag, cast(dict[str, str], attributes) or None, [XmlText(text)])


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def english_client() -> Client:
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def minutes(session, participant) -> Minutes:
    return store.ensure_minutes(session.pk, user=participant)


def write(minutes: Minutes, change: Callable[[XmlFragment], None]) -> None:
    """Store an edit of the document, as the live room stores a writer's update."""
    doc = load_doc(store.load_document(minutes.pk).blobs())
    before = doc.get_state()
    with doc.transaction():
        change(doc.get(FRAGMENT, type=XmlFragment))
    store.append_updates(minutes.pk, [(doc.get_update(before), None)])


def decide_and_act(fragment: XmlFragment) -> None:
    fragment.children.insert(UNDER_POINT_2, element("decision", "Le budget est adopté."))
    fragment.children.insert(
        UNDER_POINT_2 + 1,
        element("action", "Envoyer le devis.", owner="Awa", due="2025-03-01"),
    )
    fragment.children.insert(UNDER_POINT_1, element("decision", "La séance est ouverte."))


def page(session, user=None) -> str:
    client = english_client()
    if user is not None:
        client.force_login(user)
    response = client.get(session.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# -- reading the register -------------------------------------------------------------------


def test_the_register_lists_decisions_and_actions_under_their_agenda_item(minutes):
    write(minutes, decide_and_act)

    register = minutes_register(minutes.pk)

    assert register.decisions == (
        Decision("La séance est ouverte.", "Point 1"),
        Decision("Le budget est adopté.", "Point 2"),
    )
    assert register.actions == (Action("Envoyer le devis.", "Awa", date(2025, 3, 1), "Point 2"),)


def test_blocks_nested_in_lists_and_before_any_item_are_listed():
    doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    fragment.children.append(element("decision", "  Avant   l’ordre du jour "))
    item = XmlElement("listItem", None, [element("paragraph", "x"), element("action", "Relire")])
    fragment.children.append(XmlElement("bulletList", None, [item]))

    register = read_register(doc)

    assert register.decisions == (Decision("Avant l’ordre du jour", ""),)
    assert register.actions == (Action("Relire", "", None, ""),)


@pytest.mark.parametrize(
    ("owner", "due", "kept_owner", "kept_due"),
    [
        ("  Awa \n Diallo ", "2025-12-31", "Awa Diallo", date(2025, 12, 31)),
        ("A" * 500, "2025-02-30", "A" * blocks.OWNER_MAX, None),
        (42, "31/12/2025", "", None),
        ({"name": "x"}, "1850-01-01", "", None),
        ("Paul", 20251231, "Paul", None),
    ],
)
def test_action_attributes_from_the_browser_are_cleaned(owner, due, kept_owner, kept_due):
    doc = new_doc()
    doc.get(FRAGMENT, type=XmlFragment).children.append(
        element("action", "Faire", owner=owner, due=due)
    )

    (action,) = read_register(doc).actions

    assert (action.owner, action.due) == (kept_owner, kept_due)


def test_a_new_edit_shows_in_the_register_at_the_next_page_load(minutes, session, participant):
    # Logged in: the page is rendered for each visit. (Logged-out visitors share a
    # render for a few seconds, assemblies.page_cache; their script rebuilds the
    # register from the live document.)
    assert "data-register-no-decisions>No decision recorded yet." in page(session, participant)
    write(minutes, decide_and_act)

    html = page(session, participant)

    assert "data-register-no-decisions hidden>" in html
    register = html[html.index("data-minutes-register") :]
    assert "La séance est ouverte." in register
    assert "Envoyer le devis." in register
    assert "who: Awa" in register
    assert '<time datetime="2025-03-01">' in register
    assert "Agenda item: Point 2" in register


def test_reading_the_register_again_costs_one_query(minutes, django_assert_num_queries):
    write(minutes, decide_and_act)
    minutes_register(minutes.pk)

    with django_assert_num_queries(1):
        register = minutes_register(minutes.pk)

    assert len(register.decisions) == 2


# -- rendering -------------------------------------------------------------------------------


def rendered(*nodes: XmlElement) -> str:
    doc = new_doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    for node in nodes:
        fragment.children.append(node)
    return render_html(doc)


def test_decisions_actions_and_times_render_for_readers():
    html = rendered(
        element("decision", "Adopté"),
        element("action", "Relire", owner="Awa <b>", due="2025-03-01"),
        element("paragraph", "La maire répond.", time=3754.0),
    )

    assert '<p class="minutes-decision"><strong>Decision:</strong> Adopté</p>' in html
    assert "who: Awa &lt;b&gt;" in html
    assert '<time datetime="2025-03-01">1 March 2025</time>' in html
    assert '<time class="minutes-time" datetime="PT1H2M34S">1:02:34</time> La maire' in html


@pytest.mark.parametrize("time", [-1, 48 * 3600 + 1, "754", True, float("nan"), None])
def test_a_time_out_of_range_or_not_a_number_is_not_shown(time):
    html = rendered(element("paragraph", "Texte", time=time))

    assert html == "<p>Texte</p>"


@settings(max_examples=50, deadline=None)
@given(owner=st.text(max_size=300), due=st.text(max_size=20), text=st.text(max_size=50))
def test_no_attribute_reaches_the_page_as_markup(owner, due, text):
    html = rendered(element("action", text, owner=owner, due=due))

    for dangerous in ("<script", "<img", "<svg", 'onerror="'):
        assert dangerous not in html.replace("&lt;", "")
    assert html.count("<") == html.count(">")


# -- published ------------------------------------------------------------------------------


def publish(session, organiser) -> None:
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)
    workflow.publish_minutes(session.pk, user=organiser)


def test_the_published_minutes_show_the_blocks_the_times_and_the_register(
    minutes, session, organiser
):
    def stamp(fragment: XmlFragment) -> None:
        decide_and_act(fragment)
        fragment.children.insert(1, element("paragraph", "Accueil par la maire.", time=75))

    write(minutes, stamp)
    publish(session, organiser)

    response = english_client().get(f"/sessions/{session.pk}/minutes/")

    html = response.content.decode()
    # Each time links to that moment of the session's replay.
    link = f'<a class="minutes-time-link" href="/sessions/{session.pk}/#t=75"'
    assert link in html
    assert '<time class="minutes-time" datetime="PT1M15S">01:15</time></a> Accueil' in html
    assert "Decision:</strong> Le budget est adopté." in html
    register = html[html.index("data-minutes-register") :]
    assert "Le budget est adopté." in register
    assert "who: Awa" in register


def test_published_minutes_without_decisions_have_no_register(minutes, session, organiser):
    publish(session, organiser)

    html = english_client().get(f"/sessions/{session.pk}/minutes/").content.decode()

    assert "data-minutes-register" not in html


def test_the_markdown_export_keeps_decisions_actions_and_times(minutes, session, organiser):
    def stamp(fragment: XmlFragment) -> None:
        decide_and_act(fragment)
        fragment.children.insert(1, element("paragraph", "Accueil.", time=75))

    write(minutes, stamp)
    publish(session, organiser)

    markdown = export.export_markdown(Minutes.objects.get(pk=minutes.pk).versions.get())

    assert "\\[01:15\\] Accueil." in markdown
    assert "**Decision:** Le budget est adopté." in markdown
    assert "**Action:** Envoyer le devis. (who: Awa, by 1 March 2025)" in markdown


# -- the page ---------------------------------------------------------------------------------


def test_writers_get_the_blocks_tools_and_readers_the_register_only(session, minutes):
    note_taker = factories.make_note_taker(session)

    writer, reader = page(session, note_taker), page(session)

    for command in ("decision", "action", "markTime", "editTime"):
        assert f'data-command="{command}"' in writer
        assert f'data-command="{command}"' not in reader
    assert "data-minutes-action-form" in writer
    assert "data-minutes-action-form" not in reader
    assert "data-minutes-register" in reader
    assert '"decision": "Decision:"' in reader  # the blocks' labels, for the script
