"""Publishing freezes a version; a correction is published as the next one."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client

from minutes.models import Minutes, MinutesVersion
from minutes.services import store, workflow
from minutes.services.diff import diff_html
from minutes.services.document import load_doc, plain_text
from tests.minutes.documents import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def minutes(session, participant) -> Minutes:
    return store.ensure_minutes(session.pk, user=participant)


def publish(session, organiser) -> Minutes:
    workflow.submit_minutes(session.pk, user=organiser)
    workflow.approve_minutes(session.pk, user=organiser)
    return workflow.publish_minutes(session.pk, user=organiser)


def test_publishing_freezes_the_version_with_its_approval(minutes, session, organiser):
    write(minutes, "Le budget est adopté à 11 voix.")

    published = publish(session, organiser)

    version = MinutesVersion.objects.get(minutes=minutes)
    assert version.number == published.version == 1
    assert version.approved_by == organiser
    assert version.approved_at == published.approved_at
    assert version.published_by == organiser
    assert "<p>Le budget est adopté à 11 voix.</p>" in version.html
    assert version.html == published.published_html
    assert "à 11 voix" in plain_text(load_doc([bytes(version.state)]))


def test_a_correction_is_published_as_the_next_version_and_the_first_stays(
    minutes, session, organiser
):
    write(minutes, "Le budget est adopté à 11 voix.")
    publish(session, organiser)

    corrected = workflow.correct_minutes(session.pk, user=organiser)
    assert corrected.status == Minutes.Status.DRAFT
    assert corrected.is_editable
    assert corrected.approved_by is None
    write(minutes, "Le budget est adopté à 12 voix.")
    second = publish(session, organiser)

    assert second.version == 2
    first, latest = MinutesVersion.objects.filter(minutes=minutes).order_by("number")
    assert "à 11 voix" in first.html
    assert "à 12 voix" in latest.html
    assert latest.published_at > first.published_at


def test_the_public_page_keeps_the_published_version_during_a_correction(
    minutes, session, organiser
):
    write(minutes, "Texte publié.")
    publish(session, organiser)
    workflow.correct_minutes(session.pk, user=organiser)
    write(minutes, "Brouillon de correction.")

    html = Client().get(f"/sessions/{session.pk}/minutes/").content.decode()

    assert "Texte publié." in html
    assert "Brouillon de correction." not in html


def test_each_version_has_its_own_page_and_the_list_links_them(minutes, session, organiser):
    write(minutes, "Première rédaction.")
    publish(session, organiser)
    workflow.correct_minutes(session.pk, user=organiser)
    write(minutes, "Rédaction corrigée.")
    publish(session, organiser)
    client = Client()

    current = client.get(f"/sessions/{session.pk}/minutes/").content.decode()
    first = client.get(f"/sessions/{session.pk}/minutes/versions/1/")
    missing = client.get(f"/sessions/{session.pk}/minutes/versions/3/")

    assert "Rédaction corrigée." in current
    assert f'href="/sessions/{session.pk}/minutes/versions/1/"' in current
    assert f'href="/sessions/{session.pk}/minutes/versions/2/changes/"' in current
    assert "Organisatrice" in current  # the approver, in the list of versions
    assert first.status_code == 200
    assert "Première rédaction." in first.content.decode()
    assert f'href="/sessions/{session.pk}/minutes/"' in first.content.decode()
    assert missing.status_code == 404


def test_the_changes_page_marks_insertions_and_deletions(minutes, session, organiser):
    write(minutes, "Le budget est adopté à 11 voix.")
    publish(session, organiser)
    workflow.correct_minutes(session.pk, user=organiser)
    write(minutes, "Le budget est adopté à 12 voix.")
    publish(session, organiser)

    response = Client().get(f"/sessions/{session.pk}/minutes/versions/2/changes/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<del><span class=\"visually-hidden\">[^<]+</span>11<span", html)
    assert re.search(r"<ins><span class=\"visually-hidden\">[^<]+</span>12<span", html)
    assert Client().get(f"/sessions/{session.pk}/minutes/versions/1/changes/").status_code == 404


def test_unpublished_minutes_have_no_versions_to_read(minutes, session):
    client = Client()
    for url in ("", "versions/1/", "versions/1/minutes.md", "versions/1/minutes.pdf"):
        assert client.get(f"/sessions/{session.pk}/minutes/{url}").status_code == 404


def test_minutes_published_before_versions_were_kept_get_their_version(session, organiser):
    minutes = Minutes.objects.create(
        session=session,
        status=Minutes.Status.PUBLISHED,
        published_html="<h2>Point 1</h2><p>Ancien texte.</p>",
        version=1,
        approved_by=organiser,
    )
    migration = __import__(
        "minutes.migrations.0002_review_and_versions", fromlist=["freeze_published_versions"]
    )

    migration.freeze_published_versions(apps, None)

    version = MinutesVersion.objects.get(minutes=minutes)
    assert version.number == 1
    assert version.html == "<h2>Point 1</h2><p>Ancien texte.</p>"
    assert version.approved_by == organiser
    assert Client().get(f"/sessions/{session.pk}/minutes/").status_code == 200


# -- the diff ------------------------------------------------------------------------------


class _Nesting(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = {"br", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> out of place"


def well_nested(html: str) -> bool:
    parser = _Nesting()
    parser.feed(html)
    parser.close()
    return not parser.stack


def changes_only(html: str) -> str:
    """The diff without its hidden labels: what a sighted reader sees."""
    return re.sub(r'<span class="visually-hidden">[^<]*</span>', "", html)


def test_a_changed_word_is_marked_where_it_stands():
    html = diff_html(
        "<p>Le vote est <strong>acquis</strong> à 11 voix.</p>",
        "<p>Le vote est <strong>acquis</strong> à 12 voix.</p>",
    )

    assert changes_only(html) == (
        "<p>Le vote est <strong>acquis</strong> à <del>11</del><ins>12</ins> voix.</p>"
    )
    assert well_nested(html)


def test_removed_and_added_blocks_keep_their_shape():
    old = "<h2>Budget</h2><p>Ancien paragraphe.</p><p>Reste.</p><ul><li><p>un</p></li></ul>"
    new = "<h2>Budget</h2><p>Reste.</p><ul><li><p>un</p></li><li><p>deux</p></li></ul>"

    html = diff_html(old, new)

    assert changes_only(html) == (
        "<h2>Budget</h2><p><del>Ancien paragraphe.</del></p><p>Reste.</p>"
        "<ul><li><p>un</p></li><li><p><ins>deux</ins></p></li></ul>"
    )
    assert well_nested(html)


def test_every_change_is_announced_in_words_not_only_by_its_element():
    html = diff_html("<p>a</p>", "<p>b</p>")

    assert html.count('<span class="visually-hidden">') == 4  # start and end, twice
    assert "<del>" in html
    assert "<ins>" in html


def test_identical_versions_show_no_change():
    html = "<h2>Point 1</h2><p>Rien.</p><table><tbody><tr><td><p>x</p></td></tr></tbody></table>"
    assert diff_html(html, html) == html
