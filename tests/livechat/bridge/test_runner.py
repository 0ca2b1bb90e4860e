"""The bridge's runner against the stand-in on 127.0.0.1: streams, backfill,
cursors, posting out, and every failure the networks can throw at it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from livechat.models import BridgeState, Message, Network, OutboundPost
from livechat.services import bridge as services
from tests.livechat.bridge.conftest import configure

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

FAST = {
    "reload_every": 0.2,
    "read_timeout": 2.0,
    "backoff_base": 0.05,
    "backoff_cap": 0.3,
    "outbound_every": 0.1,
    "cursor_save": 0.1,
}


@contextlib.asynccontextmanager
async def running(**timing: Any) -> AsyncIterator[Any]:
    from livechat.bridge.runner import BridgeRunner, Timing

    runner = BridgeRunner(Timing(**{**FAST, **timing}))
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = await sync_to_async(check)()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("never happened")
        await asyncio.sleep(0.05)


def texts(session) -> list[str]:
    return list(
        Message.objects.filter(session=session).order_by("pk").values_list("text", flat=True)
    )


def messages_of(session) -> list[Message]:
    return list(Message.objects.filter(session=session).order_by("pk"))


def state(event, network) -> BridgeState:
    return BridgeState.objects.filter(event=event, network=network).first() or BridgeState()


async def connected(standin, kind: str, count: int = 1) -> None:
    await eventually(lambda: standin.state()["connections"][kind] >= count)


@pytest.fixture
def mastodon_bridge(bridge, standin, event_session):
    configure(bridge, standin, bluesky=False)
    return bridge


@pytest.fixture
def bluesky_bridge(bridge, standin, event_session):
    configure(bridge, standin, mastodon=False)
    return bridge


# -- Mastodon in ----------------------------------------------------------------------


async def test_statuses_on_the_stream_enter_the_queue_as_the_networks_posts(
    mastodon_bridge, standin, event_session
):
    async with running():
        await connected(standin, "mastodon")
        standin.toot(
            "Ouverture #AssMédNum",
            spoiler_text="Politique",
            media=[{"url": "https://m.example/a.jpg", "description": "La salle"}],
        )
        standin.toot("Boost #assmednum", reblog=True)
        standin.toot("Masqué #assmednum", filtered_hide=True)
        standin.toot("Ailleurs #autre")
        standin.toot("Dernier #assmednum")
        await eventually(lambda: len(texts(event_session)) == 2)
    first, last = await sync_to_async(messages_of)(event_session)
    assert (first.text, last.text) == ("Ouverture #AssMédNum", "Dernier #assmednum")
    assert (first.network, first.status, first.held_for) == ("mastodon", "pending", "imported")
    assert first.content_warning == "Politique"
    assert first.media == [{"url": "https://m.example/a.jpg", "alt": "La salle"}]
    assert first.external_author_handle == "claire"
    bridge_state = await sync_to_async(state)(mastodon_bridge.event, Network.MASTODON)
    assert bridge_state.last_post_at is not None
    assert not bridge_state.connected


async def test_posts_made_while_the_bridge_was_down_are_backfilled_once(
    mastodon_bridge, standin, event_session
):
    seen = standin.toot("Avant #assmednum")  # the last one a previous run saw
    await sync_to_async(services.save_resume_point)(
        mastodon_bridge.event_id, Network.MASTODON, seen["id"]
    )
    for n in range(45):  # more than a page of 40
        standin.toot(f"Pendant la coupure {n} #assmednum")
    async with running():
        await eventually(lambda: len(texts(event_session)) == 45)
        standin.toot("En direct #assmednum")
        await eventually(lambda: len(texts(event_session)) == 46)
    found = await sync_to_async(texts)(event_session)
    assert found == [f"Pendant la coupure {n} #assmednum" for n in range(45)] + [
        "En direct #assmednum"
    ]


async def test_a_dropped_stream_reconnects_and_the_backfill_catches_what_was_missed(
    mastodon_bridge, standin, event_session
):
    standin.fault("drop_after", stream="mastodon", events=1)
    async with running(backoff_base=0.5, backoff_cap=0.5):
        await connected(standin, "mastodon")
        standin.toot("Un #assmednum")  # delivered, then the stream drops
        await eventually(lambda: standin.state()["connections"]["mastodon"] == 0, 5)
        standin.toot("Deux, pendant la coupure #assmednum")
        await eventually(lambda: len(texts(event_session)) == 2)
        standin.toot("Trois #assmednum")
        await eventually(lambda: len(texts(event_session)) == 3)
    assert standin.state()["total_connections"]["mastodon"] >= 2


async def test_a_silent_stream_is_dropped_after_the_read_timeout(
    mastodon_bridge, standin, event_session
):
    standin.fault("silent", stream="mastodon", seconds=30)  # no heartbeat either
    async with running(read_timeout=1.0):
        await eventually(lambda: standin.state()["total_connections"]["mastodon"] >= 2, 10)
        last_error = await eventually(
            lambda: state(mastodon_bridge.event, Network.MASTODON).last_error
        )
        assert "silent" in last_error
        standin.toot("Revenu #assmednum")
        await eventually(lambda: texts(event_session) == ["Revenu #assmednum"])


async def test_a_429_waits_until_the_reset_time_the_server_gave(
    mastodon_bridge, standin, event_session
):
    standin.fault(
        "http", path="/api/v1/accounts/verify_credentials", status=429, seconds=1.5, times=1
    )
    started = time.monotonic()
    async with running(backoff_base=0.01, backoff_cap=0.01):
        await connected(standin, "mastodon")
        waited = time.monotonic() - started
    verify_calls = [p for p in standin.state()["requests"] if p.endswith("verify_credentials")]
    assert len(verify_calls) == 2  # refused once, then not before the reset
    assert waited >= 1.2


@pytest.mark.parametrize("html", [False, True], ids=["json-503", "html-502"])
async def test_server_errors_and_html_pages_are_retried_with_backoff(
    mastodon_bridge, standin, event_session, html
):
    standin.fault("http", path="/api/v1/streaming", status=502 if html else 503, times=3, html=html)
    async with running():
        await connected(standin, "mastodon")
        standin.toot("Enfin #assmednum")
        await eventually(lambda: len(texts(event_session)) == 1)
    bridge_state = await sync_to_async(state)(mastodon_bridge.event, Network.MASTODON)
    assert bridge_state.last_error.startswith("502" if html else "503")


async def test_refused_credentials_stop_the_bridge_and_tell_the_organisers(
    mastodon_bridge, standin, event_session
):
    standin.fault("http", path="/api/v1/", status=401, times=1)
    async with running():
        stopped = await eventually(lambda: state(mastodon_bridge.event, Network.MASTODON).stopped)
        await asyncio.sleep(0.5)
    assert stopped
    assert standin.state()["total_connections"]["mastodon"] == 0
    frame = await sync_to_async(services.bridge_status)(mastodon_bridge.event_id)
    assert frame.networks[0].stopped
    assert "401" in frame.networks[0].last_error


# -- Mastodon out ---------------------------------------------------------------------


async def test_a_shared_message_goes_out_once_and_its_echo_is_not_imported(
    mastodon_bridge, standin, event_session, organiser
):
    from livechat.services import messages

    message = await sync_to_async(messages.post_message)(
        event_session.pk, user=organiser, text="Pause café", client_id="c1"
    )
    standin.fault("http", path="/api/v1/statuses", status=503, times=1)
    async with running():
        await connected(standin, "mastodon")
        await sync_to_async(services.share_message)(message.pk, user=organiser)
        copy = await eventually(lambda: OutboundPost.objects.filter(status="sent").first())
        standin.toot("Après #assmednum")
        await eventually(lambda: len(texts(event_session)) == 2)
    posted = [s for s in standin.state()["statuses"] if s["account"]["username"] == "plenary"]
    assert len(posted) == 1
    assert copy.external_uri == posted[0]["uri"]
    assert copy.attempts == 1  # one 503, then the same key went through
    assert await sync_to_async(texts)(event_session) == ["Pause café", "Après #assmednum"]


# -- Bluesky --------------------------------------------------------------------------


async def test_jetstream_posts_with_a_wanted_tag_enter_with_their_author(
    bluesky_bridge, standin, event_session
):
    async with running():
        await connected(standin, "jetstream")
        standin.skeet(
            "Café ☕ puis #AssMédNum",
            did="did:plc:lea",
            handle="lea.bsky.social",
            display_name="Léa",
            images=[{"alt": "Le public"}],
        )
        standin.skeet("Sans facettes #assmednum", did="did:plc:lea", facets=False)
        standin.skeet("Avec tags[] seulement", did="did:plc:lea", tags=["AssMedNum"])
        standin.skeet("Autre chose #ailleurs", did="did:plc:tom")
        await eventually(lambda: len(texts(event_session)) == 3)
    first = (await sync_to_async(messages_of)(event_session))[0]
    assert (first.network, first.external_author_handle, first.external_author_name) == (
        "bluesky",
        "lea.bsky.social",
        "Léa",
    )
    assert first.external_uri.startswith("at://did:plc:lea/app.bsky.feed.post/")
    assert first.external_url.startswith("https://bsky.app/profile/lea.bsky.social/post/")
    assert first.media[0]["alt"] == "Le public"
    assert standin.state()["profile_lookups"] == 1  # cached after the first post


async def test_jetstream_resumes_from_its_cursor_and_the_boundary_event_is_stored_once(
    bluesky_bridge, standin, event_session
):
    standin.fault("drop_after", stream="jetstream", events=1)
    async with running(backoff_base=0.3, backoff_cap=0.3):
        await connected(standin, "jetstream")
        standin.skeet("Un #assmednum", did="did:plc:a")
        await eventually(lambda: standin.state()["connections"]["jetstream"] == 0, 5)
        standin.skeet("Deux, pendant la coupure #assmednum", did="did:plc:a")
        await eventually(lambda: len(texts(event_session)) == 2)
        await connected(standin, "jetstream")
    async with running():  # a restart resumes from the saved cursor: nothing twice
        await connected(standin, "jetstream")
        standin.skeet("Trois #assmednum", did="did:plc:a")
        await eventually(lambda: len(texts(event_session)) == 3)
    assert await sync_to_async(texts)(event_session) == [
        "Un #assmednum",
        "Deux, pendant la coupure #assmednum",
        "Trois #assmednum",
    ]
    cursor = await sync_to_async(services.resume_point)(bluesky_bridge.event_id, Network.BLUESKY)
    assert cursor.isdigit()
    assert len(cursor) == 16


async def test_a_message_goes_out_to_bluesky_with_facets_and_a_refreshed_session(
    bluesky_bridge, standin, event_session, organiser
):
    from livechat.services import messages

    first = await sync_to_async(messages.post_message)(
        event_session.pk,
        user=organiser,
        text="Ça commence, voir https://example.org/é",
        client_id="c1",
    )
    async with running():
        await connected(standin, "jetstream")
        await sync_to_async(services.share_message)(first.pk, user=organiser)
        await eventually(lambda: OutboundPost.objects.filter(status="sent").count() == 1)
        standin.expire_bluesky_tokens("access")
        second = await sync_to_async(messages.post_message)(
            event_session.pk, user=organiser, text="Deuxième", client_id="c2"
        )
        await sync_to_async(services.share_message)(second.pk, user=organiser)
        await eventually(lambda: OutboundPost.objects.filter(status="sent").count() == 2)
        await asyncio.sleep(0.5)  # the echoes have come back on Jetstream by now
    records = standin.state()["records"]
    assert [r["record"]["text"] for r in records] == [
        "Organisatrice : Ça commence, voir https://example.org/é #AssMedNum",
        "Organisatrice : Deuxième #AssMedNum",
    ]
    features = [f["features"][0]["$type"] for f in records[0]["record"]["facets"]]
    assert features == ["app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"]
    assert await sync_to_async(texts)(event_session) == [
        "Ça commence, voir https://example.org/é",
        "Deuxième",
    ]


async def test_a_refused_app_password_stops_bluesky(bluesky_bridge, standin, event_session):
    from livechat.bridge import secrets

    bluesky_bridge.bluesky_app_password = secrets.seal("wrong")
    await sync_to_async(bluesky_bridge.save)()
    async with running():
        assert await eventually(lambda: state(bluesky_bridge.event, Network.BLUESKY).stopped)


# -- edited and deleted at the source ---------------------------------------------------


def status_of(session, text_start: str) -> Message | None:
    return Message.objects.filter(session=session, text__startswith=text_start).first()


async def test_a_toot_edited_then_deleted_follows_in_the_chat(
    mastodon_bridge, standin, event_session
):
    from livechat.models import ChatSettings

    mastodon_bridge.imports = "chat"
    await sync_to_async(mastodon_bridge.save)()
    await ChatSettings.objects.acreate(session=event_session, blocked_words="arnaque")
    async with running():
        await connected(standin, "mastodon")
        toot = standin.toot("Premier jet #assmednum")
        message = await eventually(lambda: status_of(event_session, "Premier jet"))
        assert (message.status, message.external_id) == ("visible", toot["id"])

        standin.edit_toot(toot["id"], "Version <b>corrigée</b> #assmednum", spoiler_text="Long")
        edited = await eventually(lambda: status_of(event_session, "Version"))
        assert edited.pk == message.pk
        assert (edited.text, edited.content_warning) == (
            "Version <b>corrigée</b> #assmednum",
            "Long",
        )
        assert edited.external_edited_at is not None

        standin.edit_toot(toot["id"], "Quelle arnaque #assmednum")
        held = await eventually(
            lambda: Message.objects.filter(pk=message.pk, held_for="blocked_words").first()
        )
        assert held.status == "pending"

        standin.delete_toot(toot["id"])
        gone = await eventually(
            lambda: Message.objects.filter(pk=message.pk, status="deleted").first()
        )
        assert gone.text == ""


async def test_a_bluesky_post_with_self_labels_updated_then_deleted_follows(
    bluesky_bridge, standin, event_session
):
    bluesky_bridge.imports = "chat"
    await sync_to_async(bluesky_bridge.save)()
    async with running():
        await connected(standin, "jetstream")
        event = standin.skeet(
            "Photos de la salle #AssMedNum", did="did:plc:lea", labels=["graphic-media"]
        )
        uri = f"at://did:plc:lea/app.bsky.feed.post/{event['commit']['rkey']}"
        message = await eventually(lambda: Message.objects.filter(external_uri=uri).first())
        assert (message.labels, message.content_warning) == (["graphic-media"], "")

        standin.skeet("Un autre #ailleurs", did="did:plc:tom")  # not ours: ignored
        other = standin.skeet("Encore ailleurs", did="did:plc:tom")
        standin.delete_skeet(f"at://did:plc:tom/app.bsky.feed.post/{other['commit']['rkey']}")
        standin.edit_skeet(uri, "Photos de la salle, légendées #AssMedNum", labels=["nudity"])
        edited = await eventually(
            lambda: Message.objects.filter(
                pk=message.pk, text__endswith="légendées #AssMedNum"
            ).first()
        )
        assert edited.labels == ["nudity"]

        standin.delete_skeet(uri)
        await eventually(lambda: Message.objects.filter(pk=message.pk, status="deleted").exists())
    assert await sync_to_async(texts)(event_session) == [""]


# -- questions out ----------------------------------------------------------------------


async def test_a_question_goes_out_to_both_networks_and_its_echoes_are_not_imported(
    bridge, standin, event_session, organiser
):
    from livechat.services import questions
    from tests import factories

    await sync_to_async(configure)(bridge, standin)
    habitant = await sync_to_async(factories.make_user)("habitant")
    question = await sync_to_async(questions.ask_question)(
        event_session.pk,
        user=habitant,
        text="Où en est le très haut débit ?",
        client_id="q1",
        share=True,
    )
    async with running():
        await connected(standin, "mastodon")
        await connected(standin, "jetstream")
        await sync_to_async(services.share_question)(question.pk, user=organiser)
        await eventually(lambda: OutboundPost.objects.filter(status="sent").count() == 2)
        standin.toot("Après #assmednum")
        await eventually(lambda: len(texts(event_session)) == 1)
        await asyncio.sleep(0.5)  # the Bluesky echo has come back on Jetstream by now
    assert await sync_to_async(texts)(event_session) == ["Après #assmednum"]
    posted = [s for s in standin.state()["statuses"] if s["account"]["username"] == "plenary"]
    assert len(posted) == 1
    assert "Où en est le très haut débit ?" in posted[0]["content"]
    [record] = [r["record"] for r in standin.state()["records"]]
    assert record["text"].endswith("Où en est le très haut débit ? #AssMedNum")
    [facet] = record["facets"]  # at UTF-8 byte offsets (the stand-in checks them)
    assert facet["features"][0] == {"$type": "app.bsky.richtext.facet#tag", "tag": "AssMedNum"}
    assert facet["index"]["byteEnd"] == len(record["text"].encode())
