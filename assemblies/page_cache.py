"""The session page as logged-out visitors get it: rendered once, then reused.

A crowd arriving for a broadcast is mostly logged out, and every one of them gets
the same page; rendering it costs 12-15 ms on the server's one sync thread
(bench/golive), so 2,000 arrivals queued for about a minute. The anonymous render
is kept in the cache (Redis when ``REDIS_URL`` is set, shared by the processes)
for ``TTL_SECONDS``, per session and language::

    key = page_key(request, session_id)     # None: not shared
    page = cached_page(key)                 # None: render it
    ...
    store_page(key, html)                   # after rendering with csrf_marker()
    return page_response(request, html)

Why this is safe:

- Only anonymous requests with no pending messages read or fill it: a logged-in
  page (a name, a console, a composer) is never cached nor served from it.
- The CSRF token is each visitor's own. Anonymous pages are rendered with a marker
  in place of the token (``csrf_marker``); each response puts the visitor's token
  there (``get_token``, which also sets their CSRF cookie), cached or not.
- The key holds the session room's last ``seq`` (any change a page shows live,
  the status, the agenda, the broadcast, comes with a room event, from any
  process) and a version that saving a session, an agenda item or a model another
  app registers (``forget_on_save``: the broadcast, the minutes) replaces. Anything
  else shown (a venue renamed in the admin, the decision register, which the page's
  script rebuilds live) shows within ``TTL_SECONDS``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from plenary.realtime.events import current_seq
from plenary.realtime.rooms import session_room

#: How long an anonymous render is reused at most.
TTL_SECONDS = 10

# Where the render put the CSRF token; replaced by each visitor's own.
_MARKER = "plenary-csrf-" + "0" * 20


def csrf_marker() -> str:
    """What to render in place of the CSRF token (as the ``csrf_token`` context value)."""
    return _MARKER


def cacheable(request: HttpRequest) -> bool:
    """Whether this request gets (and may fill) the shared anonymous page."""
    if request.method not in {"GET", "HEAD"} or request.user.is_authenticated:
        return False
    return len(get_messages(request)) == 0  # counted, not consumed


def _version_key(session_id: int) -> str:
    return f"session-page-version:{session_id}"


def page_key(request: HttpRequest, session_id: int) -> str | None:
    """Where this visitor's page is kept; None when it is not shared (logged in,
    a message to show). Taken before rendering: a render that read the rows
    before a change is stored under the key of before, never under the new one."""
    if not cacheable(request):
        return None
    seq = current_seq(session_room(session_id))
    version = str(cache.get(_version_key(session_id), "0"))
    language = translation.get_language() or ""
    return f"session-page:{session_id}:{language}:{seq}:{version}"


def cached_page(key: str | None) -> str | None:
    if key is None:
        return None
    page: str | None = cache.get(key)
    return page


def store_page(key: str | None, html: str) -> None:
    if key is not None:
        cache.set(key, html, TTL_SECONDS)


def page_response(request: HttpRequest, html: str) -> HttpResponse:
    """The page with this visitor's own CSRF token where the marker is."""
    if _MARKER in html:
        html = html.replace(_MARKER, get_token(request))
    return HttpResponse(html)


def forget(session_id: int) -> None:
    """The session's page changed: renders cached before are not served again."""
    cache.set(_version_key(session_id), secrets.token_hex(8), None)


def forget_on_save(model: type[models.Model], session_of: Callable[[Any], int | None]) -> None:
    """Forget the page of ``session_of(instance)`` when an instance of ``model`` is
    saved or deleted: at once (this transaction's readers) and again after commit
    (a render made meanwhile from the old rows)."""

    def changed(sender: Any, instance: Any, **kwargs: Any) -> None:
        session_id = session_of(instance)
        if session_id is None:
            return
        forget(session_id)
        transaction.on_commit(lambda: forget(session_id), robust=True)

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"page-cache-{model}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"page-cache-del-{model}")
