"""The real Mastodon.py client against the stand-in: it must not drift from what
real clients expect of a Mastodon instance."""

from __future__ import annotations

import threading
import time

import pytest
from mastodon import Mastodon, StreamListener
from mastodon.errors import MastodonAPIError, MastodonUnauthorizedError

from tests.standin.app import READ_TOKEN, TOKEN


def client(standin, token=TOKEN):
    # version_check_mode "created" (the default) reads /api/v1/instance as real ones do.
    return Mastodon(api_base_url=standin.url, access_token=token, request_timeout=5)


def test_mastodonpy_reads_the_instance_and_the_account(standin):
    mastodon = client(standin)
    assert mastodon.instance()["version"] == "4.3.0"
    assert mastodon.instance_v2()["configuration"]["urls"]["streaming"].startswith("ws://")
    assert mastodon.account_verify_credentials()["acct"] == "plenary"


def test_mastodonpy_pages_the_tag_timeline_with_link_headers(standin):
    ids = [standin.toot(f"Message {n} #assmednum")["id"] for n in range(5)]
    mastodon = client(standin)
    first = mastodon.timeline_hashtag("assmednum", limit=2)
    assert [s["id"] for s in first] == [ids[4], ids[3]]
    older = mastodon.fetch_next(first)
    assert [s["id"] for s in older] == [ids[2], ids[1]]
    # min_id pages forward from a status: the oldest newer ones, newest first.
    after = mastodon.timeline_hashtag("assmednum", min_id=ids[0], limit=2)
    assert [s["id"] for s in after] == [ids[2], ids[1]]
    newer = mastodon.fetch_previous(after)
    assert [s["id"] for s in newer] == [ids[4], ids[3]]
    since = mastodon.timeline_hashtag("assmednum", since_id=ids[0], limit=2)
    assert [s["id"] for s in since] == [ids[4], ids[3]]


def test_mastodonpy_posts_once_per_idempotency_key(standin):
    mastodon = client(standin)
    one = mastodon.status_post("Depuis la salle #assmednum", idempotency_key="k-1")
    again = mastodon.status_post("Depuis la salle #assmednum", idempotency_key="k-1")
    assert one["id"] == again["id"]
    assert len(standin.state()["statuses"]) == 1
    assert mastodon.ratelimit_remaining < mastodon.ratelimit_limit


def test_mastodonpy_cannot_post_with_a_read_only_token(standin):
    with pytest.raises(MastodonAPIError):
        client(standin, READ_TOKEN).status_post("Hello #assmednum")


def test_mastodonpy_streams_the_hashtag_over_sse(standin):
    updates, deletes, beats = [], [], []
    got = threading.Event()

    class Listener(StreamListener):
        def on_update(self, status):
            updates.append(status)
            got.set()

        def on_delete(self, status_id):
            deletes.append(status_id)

        def handle_heartbeat(self):
            beats.append(time.monotonic())

    handle = client(standin).stream_hashtag("assmednum", Listener(), run_async=True)
    try:
        standin.wait_for(lambda s: s["connections"]["mastodon"] == 1)
        status = standin.toot("En direct #AssMédNum")
        standin.toot("Autre sujet #ailleurs")
        assert got.wait(5)
        assert [u["id"] for u in updates] == [status["id"]]
        assert updates[0]["tags"][0]["name"] == "assmednum"
        time.sleep(1.2)
        assert beats  # :thump heartbeats
    finally:
        handle.close()


def test_mastodonpy_is_refused_the_stream_without_a_valid_token(standin):
    mastodon = Mastodon(api_base_url=standin.url, access_token="wrong", request_timeout=5)
    with pytest.raises(MastodonUnauthorizedError):
        mastodon.account_verify_credentials()
    # The stream answers 401 too; Mastodon.py reports any refusal as a network error.
    from mastodon.errors import MastodonNetworkError

    with pytest.raises(MastodonNetworkError):
        mastodon.stream_hashtag("assmednum", StreamListener(), run_async=False, timeout=2)


def test_mastodonpy_hears_edits_and_deletions_on_the_hashtag_stream(standin):
    edits, deletes = [], []
    done = threading.Event()

    class Listener(StreamListener):
        def on_status_update(self, status):
            edits.append(status)

        def on_delete(self, status_id):
            deletes.append(status_id)
            done.set()

    handle = client(standin).stream_hashtag("assmednum", Listener(), run_async=True)
    try:
        standin.wait_for(lambda s: s["connections"]["mastodon"] == 1)
        status = standin.toot("Premier jet #assmednum")
        standin.edit_toot(status["id"], "Version corrigée #assmednum", spoiler_text="Long")
        standin.delete_toot(status["id"])
        assert done.wait(5)
        assert [e["id"] for e in edits] == [status["id"]]
        assert edits[0]["edited_at"] is not None
        assert edits[0]["spoiler_text"] == "Long"
        assert "corrigée" in edits[0]["content"]
        assert [str(d) for d in deletes] == [status["id"]]  # the id, as a bare string
    finally:
        handle.close()
