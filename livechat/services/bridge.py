"""The hashtag bridge's services: posts from outside into the chat, messages out, state.

``import_post`` stores a post from Mastodon or Bluesky in the chat of the event's
session (the live one, else the next one whose chat is open), through the chat's
moderation: by default it waits in the moderators' queue (``held_for``
``imported``); with ``BridgeSettings.imports`` set to ``chat`` it follows the
chat's mode like a participant's message. Blocked words hold it either way. A
post already stored (same URI in the session) or our own copy coming back
(``OutboundPost``) is not stored again.

``update_post`` applies its author's edit to a stored post (text sanitised
again, blocked words checked again: an edit with one takes the post out of the
room, back to review; an edit never publishes a post by itself; with imports
queued for review, an approved post that changes goes back to the queue while
staying in the room); ``remove_post`` takes a post its author deleted out of
the room and the queue. Both announce the change live.

``share_message`` and ``share_question`` (moderators) queue a visible message or
an approved question to go out on every network the event's bridge can post to;
a participant's message or question that asked to be shared goes out once a
moderator approved it (``pending_outbound`` queues it). The runner sends the
copies and records what the network gave back.

``report_state`` keeps each network's state (connected, stopped, last post, last
error) and announces it to the moderators of the event's open sessions
(``bridge.status``, ephemeral). Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Event, Session
from assemblies.services.audit import log_action
from livechat import access
from livechat.blocklist import session_blocklist
from livechat.bridge import secrets
from livechat.bridge.posts import ImportedPost
from livechat.bridge.tags import tags_in_text
from livechat.exceptions import (
    BridgeOff,
    InvalidMessage,
    NotAllowed,
    UnknownMessage,
    UnknownQuestion,
)
from livechat.models import (
    BridgeSettings,
    BridgeState,
    ChatSettings,
    Message,
    Network,
    OutboundPost,
    Question,
)
from livechat.protocol import BridgeStatus, ChatMessage, ChatRemoved, NetworkState
from livechat.services.history import message_state
from livechat.services.notify import (
    publish_after_commit,
    tell_moderators_queued,
    tell_moderators_unqueued,
)
from livechat.text import clean, normalise_tag
from plenary.realtime.events import record_event
from plenary.realtime.rooms import session_moderators_room, session_room

#: Imported posts longer than this are cut (Mastodon allows 500 characters by
#: default, some instances far more; the chat's own limit is 500).
IMPORT_MAX_LENGTH = 1000
#: The longest text each network takes.
OUTBOUND_LIMITS = {Network.MASTODON: 500, Network.BLUESKY: 300}
#: How far back our own posts are compared by text to recognise their echo.
ECHO_WINDOW = timedelta(hours=1)
#: Copies sent per round of the runner, per network.
OUTBOUND_BATCH = 20
#: Questions that may go out: approved, and still before the room.
SHAREABLE_QUESTIONS = (Question.Status.OPEN, Question.Status.ON_SCREEN, Question.Status.ANSWERED)


@dataclass(frozen=True)
class BridgeConfig:
    """What the runner needs to run one event's bridge. Holds secrets in clear:
    never log it (its repr hides them)."""

    event_id: int
    hashtags: tuple[str, ...]  # as the organiser wrote them (API paths), event's first
    mastodon_instance: str = ""
    mastodon_token: str = ""
    mastodon_stopped: bool = False
    bluesky_pds: str = ""
    bluesky_handle: str = ""
    bluesky_app_password: str = ""
    jetstream_url: str = ""
    bluesky_stopped: bool = False

    def __repr__(self) -> str:
        return f"BridgeConfig(event={self.event_id}, hashtags={self.hashtags})"

    @property
    def wanted(self) -> frozenset[str]:
        return frozenset(normalise_tag(t) for t in self.hashtags)

    @property
    def reads_mastodon(self) -> bool:
        return bool(self.mastodon_instance and self.mastodon_token and not self.mastodon_stopped)

    @property
    def reads_bluesky(self) -> bool:
        return bool(self.jetstream_url and not self.bluesky_stopped)

    @property
    def writes_bluesky(self) -> bool:
        return bool(self.bluesky_handle and self.bluesky_app_password and self.reads_bluesky)


def hashtags(bridge: BridgeSettings) -> list[str]:
    """The event's hashtag, then the other ones, each once (as Mastodon compares them)."""
    found: dict[str, str] = {}
    for tag in [bridge.event.hashtag, *bridge.extra_hashtags.replace(",", " ").split()]:
        tag = tag.strip().lstrip("#")
        if tag and normalise_tag(tag) not in found:
            found[normalise_tag(tag)] = tag
    return list(found.values())


def _config(bridge: BridgeSettings, stopped: set[str]) -> BridgeConfig:
    mastodon_token = secrets.unseal(bridge.mastodon_token) or secrets.from_env(
        secrets.ENV_MASTODON_TOKEN
    )
    app_password = secrets.unseal(bridge.bluesky_app_password) or secrets.from_env(
        secrets.ENV_BLUESKY_APP_PASSWORD
    )
    return BridgeConfig(
        event_id=bridge.event_id,
        hashtags=tuple(hashtags(bridge)),
        mastodon_instance=bridge.mastodon_instance,
        mastodon_token=mastodon_token,
        mastodon_stopped=Network.MASTODON in stopped,
        bluesky_pds=bridge.bluesky_pds,
        bluesky_handle=bridge.bluesky_handle,
        bluesky_app_password=app_password,
        jetstream_url=bridge.jetstream_url,
        bluesky_stopped=Network.BLUESKY in stopped,
    )


def bridge_configs() -> list[BridgeConfig]:
    """Every enabled bridge with at least one hashtag."""
    stopped: dict[int, set[str]] = {}
    for event_id, network in BridgeState.objects.filter(stopped=True).values_list(
        "event_id", "network"
    ):
        stopped.setdefault(event_id, set()).add(network)
    configs = [
        _config(bridge, stopped.get(bridge.event_id, set()))
        for bridge in BridgeSettings.objects.filter(enabled=True).select_related("event")
    ]
    return [config for config in configs if config.hashtags]


def target_session(event_id: int) -> Session | None:
    """Where the event's hashtag shows: its live session, else the next one to come."""
    sessions = Session.objects.filter(event_id=event_id)
    live = sessions.filter(status=Session.Status.LIVE).order_by("-started_at", "-pk").first()
    if live is not None:
        return live
    return (
        sessions.filter(status=Session.Status.SCHEDULED, ends_at__gte=timezone.now())
        .order_by("starts_at", "pk")
        .first()
    )


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _copies(event_id: int) -> QuerySet[OutboundPost]:
    """The event's copies sent out (or to send), of messages and questions alike."""
    return OutboundPost.objects.filter(
        Q(message__session__event_id=event_id) | Q(question__session__event_id=event_id)
    )


def _is_echo(event_id: int, post: ImportedPost, own_id: str) -> bool:
    """Whether ``post`` is our own copy of a chat message or a question, come back
    on the stream.

    By URI once the network answered our post; before that (the stream can be
    faster than the answer), by text among our account's recent copies.
    """
    copies = _copies(event_id).filter(network=post.network)
    if copies.filter(external_uri=post.uri).exists():
        return True
    if not own_id or post.author_id != own_id:
        return False
    recent = copies.filter(created_at__gte=timezone.now() - ECHO_WINDOW).values_list(
        "text", flat=True
    )
    return _squash(post.text) in {_squash(text) for text in recent}


def _imported_text(post: ImportedPost) -> str:
    text = clean(post.text)
    if len(text) > IMPORT_MAX_LENGTH:
        text = text[: IMPORT_MAX_LENGTH - 1] + "…"
    return text


def _client_id(uri: str) -> str:
    return "bridge-" + hashlib.sha256(uri.encode()).hexdigest()[:40]


def _media(post: ImportedPost) -> list[dict[str, str]]:
    return [{"url": m.url, "alt": clean(m.alt)} for m in post.media]


def _blocked(chat: ChatSettings, text: str, content_warning: str) -> bool:
    blocklist = session_blocklist(chat.blocked_words, chat.starter_blocklists)
    return bool(blocklist.matches(f"{content_warning}\n{text}"))


@transaction.atomic
def import_post(event_id: int, post: ImportedPost, *, own_id: str = "") -> Message | None:
    """Put ``post`` in the chat of the event's current session, through moderation.

    Returns the new message, or None when the post is not stored: no session to
    show it in, already there, or our own copy coming back.
    """
    if _is_echo(event_id, post, own_id):
        return None
    session = target_session(event_id)
    if session is None or not access.chat_is_open(session):
        return None
    if Message.objects.filter(session=session, external_uri=post.uri).exists():
        return None
    bridge = BridgeSettings.objects.filter(event_id=event_id).first() or BridgeSettings()
    chat = ChatSettings.of(session)
    text = _imported_text(post)
    status, held_for, needs_review = Message.Status.VISIBLE, "", False
    if _blocked(chat, text, post.content_warning):
        status, held_for = Message.Status.PENDING, Message.Held.BLOCKED_WORDS
    elif bridge.imports == BridgeSettings.Imports.QUEUE:
        status, held_for = Message.Status.PENDING, Message.Held.IMPORTED
    elif chat.mode == ChatSettings.Mode.PRE_MODERATED:
        status, held_for = Message.Status.PENDING, Message.Held.PREMODERATION
    elif chat.mode == ChatSettings.Mode.POST_MODERATED:
        needs_review = True
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session=session,
                author=None,
                client_id=_client_id(post.uri),
                text=text,
                created_at=timezone.now(),
                agenda_item_id=session.current_item_id,
                status=status,
                held_for=held_for,
                needs_review=needs_review,
                network=post.network,
                external_uri=post.uri[:500],
                external_url=post.url[:500],
                external_author_name=post.author_name[:200],
                external_author_handle=post.author_handle[:200],
                external_author_url=post.author_url[:500],
                content_warning=clean(post.content_warning)[:500],
                media=_media(post),
                labels=list(post.labels),
                external_id=post.external_id[:100],
                external_edited_at=post.edited_at,
            )
    except IntegrityError:  # the same post, imported concurrently
        return None
    state = message_state(message, reactions=False)
    if status == Message.Status.VISIBLE:
        record_event(session_room(session.pk), ChatMessage(message=state))
    if status == Message.Status.PENDING or needs_review:
        tell_moderators_queued(message, state=state)
    _change_state(event_id, post.network, last_post_at=timezone.now())
    return message


# -- edited and deleted at the source ----------------------------------------------------

#: What the room or the moderators may still see of an imported post.
_SHOWN = (Message.Status.VISIBLE, Message.Status.PENDING)


def _stored(event_id: int, network: str) -> QuerySet[Message]:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(session__event_id=event_id, network=network, status__in=_SHOWN)
        .order_by("pk")
    )


@transaction.atomic
def update_post(event_id: int, post: ImportedPost, *, own_id: str = "") -> list[Message]:
    """Apply an edit its author made to ``post``; returns the messages changed.

    A post not stored yet is imported instead (an edit can add the hashtag), one
    hidden, rejected or deleted stays so. An edit that now contains a blocked word
    takes a visible post out of the room, back to review (``blocked_words``). The
    room sees the new text marked as edited at the source.
    """
    stored = list(_stored(event_id, post.network).filter(external_uri=post.uri))
    if not stored:
        if not Message.objects.filter(session__event_id=event_id, external_uri=post.uri).exists():
            import_post(event_id, post, own_id=own_id)
        return []
    bridge = BridgeSettings.objects.filter(event_id=event_id).first() or BridgeSettings()
    return [m for m in stored if _apply_edit(m, post, bridge)]


def _apply_edit(message: Message, post: ImportedPost, bridge: BridgeSettings) -> bool:
    text = _imported_text(post)
    warning = clean(post.content_warning)[:500]
    media = _media(post)
    labels = list(post.labels)
    if (message.text, message.content_warning, message.media, message.labels) == (
        text,
        warning,
        media,
        labels,
    ):
        return False  # a poll's votes, say: nothing the chat shows
    was_visible = message.status == Message.Status.VISIBLE
    message.text, message.content_warning, message.media, message.labels = (
        text,
        warning,
        media,
        labels,
    )
    message.external_edited_at = post.edited_at or timezone.now()
    chat = ChatSettings.of(message.session)
    if _blocked(chat, text, warning):
        message.status, message.held_for = Message.Status.PENDING, Message.Held.BLOCKED_WORDS
        message.needs_review = False
    elif message.status == Message.Status.PENDING:
        if message.held_for == Message.Held.BLOCKED_WORDS:
            message.held_for = Message.Held.IMPORTED  # clean now, but still unreviewed
    elif chat.mode == ChatSettings.Mode.PRE_MODERATED:
        # The moderators let another text in: this one waits for them, as a new post.
        message.status, message.held_for = Message.Status.PENDING, Message.Held.PREMODERATION
        message.needs_review = False
    elif (
        bridge.imports == BridgeSettings.Imports.QUEUE
        or chat.mode == ChatSettings.Mode.POST_MODERATED
    ):
        message.needs_review = True  # shown, and back before the moderators
    message.save(
        update_fields=[
            "text",
            "content_warning",
            "media",
            "labels",
            "external_edited_at",
            "status",
            "held_for",
            "needs_review",
        ]
    )
    state = message_state(message)
    room = session_room(message.session_id)
    if message.status == Message.Status.VISIBLE:
        record_event(room, ChatMessage(message=state))
    elif was_visible:
        record_event(room, ChatRemoved(id=message.pk, status=message.status))
    if message.status == Message.Status.PENDING or message.needs_review:
        tell_moderators_queued(message, state=state)
    return True


@transaction.atomic
def remove_post(event_id: int, network: str, *, uri: str = "", status_id: str = "") -> int:
    """Take a post its author deleted out of the room and the queue, by its URI or
    (Mastodon's ``delete``) its status id; returns how many messages it was.

    As when a participant deletes their message, the row stays (the moderation log
    points to it) with its text, warning and media blanked.
    """
    if not uri and not status_id:
        return 0
    found = _stored(event_id, network)
    found = found.filter(external_uri=uri) if uri else found.filter(external_id=status_id)
    removed = 0
    for message in found:
        was_visible = message.status == Message.Status.VISIBLE
        was_queued = message.status == Message.Status.PENDING or message.needs_review
        message.status = Message.Status.DELETED
        message.text, message.content_warning, message.media, message.labels = "", "", [], []
        message.needs_review = False
        message.save(
            update_fields=["status", "text", "content_warning", "media", "labels", "needs_review"]
        )
        if was_visible:
            record_event(
                session_room(message.session_id), ChatRemoved(id=message.pk, status=message.status)
            )
        if was_queued:
            tell_moderators_unqueued(message)
        removed += 1
    return removed


def imported_uris(event_id: int, network: str) -> set[str]:
    """The URIs of the event's posts from ``network`` still in a chat or its queue:
    Jetstream's deletions and updates are checked against them before the database
    (it sends those of the whole network)."""
    return set(
        Message.objects.filter(
            session__event_id=event_id, network=network, status__in=_SHOWN
        ).values_list("external_uri", flat=True)
    )


# -- out --------------------------------------------------------------------------------


def writable_networks(bridge: BridgeSettings | None) -> list[str]:
    """The networks the event's bridge can post to now."""
    if bridge is None or not bridge.enabled:
        return []
    config = _config(bridge, set())
    networks: list[str] = []
    if config.mastodon_instance and config.mastodon_token:
        networks.append(Network.MASTODON)
    if config.bluesky_handle and config.bluesky_app_password:
        networks.append(Network.BLUESKY)
    return networks


def outbound_text(message: Message, tags: list[str], limit: int) -> str:
    """What goes out: who said it, the text, and the event's hashtag if it lacks one."""
    name = message.author.public_name if message.author else ""
    body = f"{name} : {message.text}" if name else message.text
    wanted = {normalise_tag(t) for t in tags}
    suffix = "" if tags_in_text(body) & wanted or not tags else f" #{tags[0]}"
    if len(body) + len(suffix) > limit:
        body = body[: limit - len(suffix) - 1].rstrip() + "…"
    return body + suffix


def question_text(question: Question, tags: list[str], limit: int) -> str:
    """What goes out for a question: said to be one, in the site's language (the
    network's readers are the event's, not the moderator who pressed the button)."""
    with translation.override(settings.LANGUAGE_CODE):
        if question.author is not None:
            said = gettext("Question from %(name)s: %(text)s") % {
                "name": question.author.public_name,
                "text": question.text,
            }
        else:  # the account was erased
            said = gettext("Question: %(text)s") % {"text": question.text}
    wanted = {normalise_tag(t) for t in tags}
    suffix = "" if tags_in_text(said) & wanted or not tags else f" #{tags[0]}"
    if len(said) + len(suffix) > limit:
        said = said[: limit - len(suffix) - 1].rstrip() + "…"
    return said + suffix


def _queue_copies(
    post: Message | Question, bridge: BridgeSettings, networks: list[str]
) -> list[str]:
    """Create the missing copies of a message or a question; return the networks queued."""
    queued = []
    tags = hashtags(bridge)
    for network in networks:
        limit = OUTBOUND_LIMITS[Network(network)]
        if isinstance(post, Question):
            what: dict[str, object] = {"question": post, "text": question_text(post, tags, limit)}
        else:
            what = {"message": post, "text": outbound_text(post, tags, limit)}
        try:
            with transaction.atomic():
                OutboundPost.objects.create(
                    network=network, idempotency_key=uuid.uuid4().hex, **what
                )
        except IntegrityError:  # already queued or sent: once per network
            continue
        queued.append(network)
    return queued


@transaction.atomic
def share_message(message_id: int, *, user: AnyUser) -> list[str]:
    """Moderators: send a visible message of the room out under the event's hashtag.

    Returns the networks it was queued for (none when it already went out)."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("session", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None or not access.access_moderate_chat(user, message.session):
        raise UnknownMessage()
    if message.status != Message.Status.VISIBLE or message.network:
        raise InvalidMessage()
    bridge = _event_bridge(message.session.event_id)
    networks = writable_networks(bridge)
    if bridge is None or not networks:
        raise BridgeOff()
    queued = _queue_copies(message, bridge, networks)
    if queued:
        log_action(
            actor=user,
            action="chat.share",
            session=message.session,
            message=message.pk,
            networks=queued,
        )
    return queued


def _event_bridge(event_id: int | None) -> BridgeSettings | None:
    if event_id is None:
        return None
    return BridgeSettings.objects.filter(event_id=event_id).select_related("event").first()


@transaction.atomic
def share_question(question_id: int, *, user: AnyUser) -> list[str]:
    """Moderators: send a question out under the event's hashtag, once it is before
    the room (open, on screen or answered). Returns the networks it was queued for
    (none when it already went out)."""
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("session", "author")
        .filter(pk=question_id)
        .first()
    )
    if question is None or not access.access_moderate_chat(user, question.session):
        raise UnknownQuestion()
    if question.status not in SHAREABLE_QUESTIONS:
        raise InvalidMessage(gettext("Only a question the room can see can go out."))
    bridge = _event_bridge(question.session.event_id)
    networks = writable_networks(bridge)
    if bridge is None or not networks:
        raise BridgeOff()
    queued = _queue_copies(question, bridge, networks)
    if queued:
        log_action(
            actor=user,
            action="question.share",
            session=question.session,
            question=question.pk,
            networks=queued,
        )
    return queued


@transaction.atomic
def pending_outbound(event_id: int, network: str) -> list[OutboundPost]:
    """The copies to send on ``network``, oldest first, after queueing the messages
    and questions participants asked to share that a moderator has since approved."""
    bridge = BridgeSettings.objects.filter(event_id=event_id).select_related("event").first()
    if bridge is None or network not in writable_networks(bridge):
        return []
    approved = (
        Message.objects.filter(
            session__event_id=event_id,
            share_requested=True,
            status=Message.Status.VISIBLE,
            needs_review=False,
            reviewed_at__isnull=False,
        )
        .exclude(outbound__network=network)
        .select_related("author")
    )
    for message in approved[:OUTBOUND_BATCH]:
        _queue_copies(message, bridge, [network])
    questions = (
        Question.objects.filter(
            session__event_id=event_id,
            share_requested=True,
            status__in=SHAREABLE_QUESTIONS,
            reviewed_at__isnull=False,
        )
        .exclude(outbound__network=network)
        .select_related("author")
    )
    for question in questions[:OUTBOUND_BATCH]:
        _queue_copies(question, bridge, [network])
    return list(
        _copies(event_id)
        .filter(network=network, status=OutboundPost.Status.PENDING)
        .order_by("pk")[:OUTBOUND_BATCH]
    )


@transaction.atomic
def mark_sent(outbound_id: int, *, uri: str) -> None:
    OutboundPost.objects.filter(pk=outbound_id).update(
        status=OutboundPost.Status.SENT, external_uri=uri[:500], sent_at=timezone.now(), error=""
    )


@transaction.atomic
def mark_failed(outbound_id: int, *, error: str, final: bool) -> None:
    """Note a failed attempt; ``final`` gives the copy up (the network refused it)."""
    copy = OutboundPost.objects.select_for_update().filter(pk=outbound_id).first()
    if copy is None:
        return
    copy.attempts += 1
    copy.error = error[:500]
    if final:
        copy.status = OutboundPost.Status.FAILED
    copy.save(update_fields=["attempts", "error", "status"])


# -- state ------------------------------------------------------------------------------


def resume_point(event_id: int, network: str) -> str:
    """Where the last run left off: Mastodon's newest status id, Jetstream's cursor."""
    value = (
        BridgeState.objects.filter(event_id=event_id, network=network)
        .values_list("resume_from", flat=True)
        .first()
    )
    return value or ""


def save_resume_point(event_id: int, network: str, value: str) -> None:
    updated = BridgeState.objects.filter(event_id=event_id, network=network).update(
        resume_from=value
    )
    if not updated:
        BridgeState.objects.get_or_create(
            event_id=event_id, network=network, defaults={"resume_from": value}
        )


def report_state(
    event_id: int,
    network: str,
    *,
    connected: bool | None = None,
    error: str | None = None,
    stopped: bool | None = None,
) -> None:
    """Record a change in one network's side of the bridge; announce it if any."""
    with transaction.atomic():
        changes: dict[str, object] = {}
        if connected is not None:
            changes["connected"] = connected
        if stopped is not None:
            changes["stopped"] = stopped
        if error is not None:
            changes["last_error"] = error[:500]
            changes["last_error_at"] = timezone.now()
        _change_state(event_id, network, **changes)


def _change_state(event_id: int, network: str, **changes: object) -> None:
    state, _ = BridgeState.objects.select_for_update().get_or_create(
        event_id=event_id, network=network
    )
    changed = [name for name, value in changes.items() if getattr(state, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(state, name, changes[name])
    state.updated_at = timezone.now()
    state.save(update_fields=[*changed, "updated_at"])
    if "stopped" in changed and state.stopped:
        log_action(
            actor=None,
            action="chat.bridge_stopped",
            session=target_session(event_id),
            network=network,
            reason=state.last_error,
        )
    announce_status(event_id)


def bridge_status(event_id: int | None) -> BridgeStatus:
    """The event's bridge as organisers see it (``networks`` empty when there is none)."""
    bridge = (
        BridgeSettings.objects.filter(event_id=event_id, enabled=True)
        .select_related("event")
        .first()
        if event_id is not None
        else None
    )
    if bridge is None:
        return BridgeStatus(hashtags=[], networks=[])
    states = {s.network: s for s in BridgeState.objects.filter(event_id=bridge.event_id)}
    configured = []
    if bridge.mastodon_instance:
        configured.append(Network.MASTODON)
    if bridge.jetstream_url:
        configured.append(Network.BLUESKY)
    networks = []
    for network in configured:
        state = states.get(network) or BridgeState(network=network)
        networks.append(
            NetworkState(
                network=network,
                connected=state.connected,
                stopped=state.stopped,
                last_post_at=state.last_post_at,
                last_error=state.last_error,
                last_error_at=state.last_error_at,
            )
        )
    return BridgeStatus(hashtags=hashtags(bridge), networks=networks)


def announce_status(event_id: int) -> None:
    """Send the bridge's state to the moderators of the event's sessions open now."""
    frame = bridge_status(event_id)
    soon = timezone.now() + timedelta(days=1)
    sessions = Session.objects.filter(
        Q(status=Session.Status.LIVE) | Q(status=Session.Status.SCHEDULED, starts_at__lte=soon),
        event_id=event_id,
    ).values_list("pk", flat=True)
    for session_id in sessions:
        publish_after_commit(session_moderators_room(session_id), frame)


# -- settings ---------------------------------------------------------------------------

_HANDLE = re.compile(r"[A-Za-z0-9.-]{0,253}")


@transaction.atomic
def configure_bridge(
    event_id: int,
    *,
    user: AnyUser,
    enabled: bool,
    extra_hashtags: str,
    imports: str,
    mastodon_instance: str,
    mastodon_token: str | None,
    bluesky_handle: str,
    bluesky_app_password: str | None,
    bluesky_pds: str,
    jetstream_url: str,
) -> BridgeSettings:
    """Set an event's bridge. A secret left as None keeps the stored one; "" clears it.

    Saving lifts a stop after refused credentials: the runner tries again.
    """
    event = Event.objects.filter(pk=event_id).first()
    if event is None or not access.access_configure_bridge(user, event):
        raise NotAllowed()
    bluesky_handle = bluesky_handle.strip().lstrip("@")
    if imports not in BridgeSettings.Imports.values:
        raise InvalidMessage(gettext("Unknown choice for imported posts."))
    if not _HANDLE.fullmatch(bluesky_handle):
        raise InvalidMessage(gettext("A Bluesky handle looks like name.bsky.social."))
    bridge, _ = BridgeSettings.objects.select_for_update().get_or_create(event=event)
    changes: dict[str, object] = {
        "enabled": enabled,
        "extra_hashtags": " ".join(t.lstrip("#") for t in extra_hashtags.replace(",", " ").split()),
        "imports": imports,
        "mastodon_instance": mastodon_instance.rstrip("/"),
        "bluesky_handle": bluesky_handle,
        "bluesky_pds": bluesky_pds.rstrip("/")
        or BridgeSettings._meta.get_field("bluesky_pds").get_default(),
        "jetstream_url": jetstream_url,
    }
    changed = [name for name, value in changes.items() if getattr(bridge, name) != value]
    for name in changed:
        setattr(bridge, name, changes[name])
    for name, secret in (
        ("mastodon_token", mastodon_token),
        ("bluesky_app_password", bluesky_app_password),
    ):
        if secret is not None and secret != secrets.unseal(getattr(bridge, name)):
            setattr(bridge, name, secrets.seal(secret.strip()))
            changed.append(name)
    bridge.save()
    BridgeState.objects.filter(event=event, stopped=True).update(stopped=False)
    if changed:
        log_action(
            actor=user,
            action="chat.bridge_configure",
            session=None,
            event=event.pk,
            # Which settings changed, never the secrets' values.
            changed=sorted(changed),
        )
    announce_status(event.pk)
    return bridge
