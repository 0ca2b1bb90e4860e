"""The hashtag bridge: the event's hashtag on Mastodon and Bluesky, in and out of the chat.

Inbound, ``mastodon.py`` follows the hashtag's SSE stream (and backfills the tag
timeline after every connect) and ``jetstream.py`` follows Bluesky's firehose
through Jetstream; both turn posts into ``ImportedPost`` values (``posts.py``)
that ``livechat.services.bridge.import_post`` puts through the chat's
moderation. Outbound, ``livechat.services.bridge.share_message`` queues a copy
of an approved message and the runner sends it (``mastodon.py``,
``bluesky.py``). ``runner.py`` runs every configured bridge with backoff and
reports its state to the organisers; ``manage.py run_bridge`` starts it.

Everything here speaks to the networks only through these clients, and the
tests run them against the stand-in in ``tests/standin/``.
"""
