"""The hashtag bridge's services: posts from outside into the chat, messages out, state.

``import_post`` stores a post from Mastodon or Bluesky in the chat of the event's
session (the live one, else the next one whose chat is open), through the chat's
moderation: by default it waits in the moderators' queue (``held_for``
``imported``); with ``BridgeSettings.imports`` set to ``chat`` it follows the
chat's mode like a participant's message. Blocked words hold it either way. A
post already stored (same URI in the session) or our own copy coming back
(``OutboundPost``) is not stored again.

``share_message`` (moderators) queues a visible message to go out on every
network the event's bridge can post to; a participant's message that asked to
be shared goes out once a moderator approved it (``pending_outbound`` queues it).
The runner sends the copies and records what the network gave back.

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

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from assemblies.access import AnyUser
from assemblies.models import Event, Session
from assemblies.services.audit import log_action
from livechat import access
from livechat.blocklist import session_blocklist
from livechat.bridge import secrets
from livechat.bridge.posts import ImportedPost
from livechat.bridge.tags import tags_in_text
from livechat.exceptions import BridgeOff, InvalidMessage, NotAllowed, UnknownMessage
from livechat.models import (
    BridgeSettings,
    BridgeState,
    ChatSettings,
    Message,
    Network,
    OutboundPost,
)
from livechat.protocol import BridgeStatus, ChatMessage, NetworkState
from livechat.services.history import message_state
from livechat.services.notify import publish_after_commit, tell_moderators_queued
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


def _is_echo(event_id: int, post: ImportedPost, own_id: str) -> bool:
    """Whether ``post`` is our own copy of a chat message, come back on the stream.

    By URI once the network answered our post; before that (the stream can be
    faster than the answer), by text among our account's recent copies.
    """
    copies = OutboundPost.objects.filter(message__session__event_id=event_id, network=post.network)
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
    blocklist = session_blocklist(chat.blocked_words, chat.starter_blocklists)
    if blocklist.matches(f"{post.content_warning}\n{text}"):
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
                media=[{"url": m.url, "alt": clean(m.alt)} for m in post.media],
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


def _queue_copies(message: Message, bridge: BridgeSettings, networks: list[str]) -> list[str]:
    """Create the missing copies of ``message``; return the networks queued."""
    queued = []
    tags = hashtags(bridge)
    for network in networks:
        try:
            with transaction.atomic():
                OutboundPost.objects.create(
                    message=message,
                    network=network,
                    idempotency_key=uuid.uuid4().hex,
                    text=outbound_text(message, tags, OUTBOUND_LIMITS[Network(network)]),
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
    event_id = message.session.event_id
    bridge = (
        BridgeSettings.objects.filter(event_id=event_id).select_related("event").first()
        if event_id is not None
        else None
    )
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


@transaction.atomic
def pending_outbound(event_id: int, network: str) -> list[OutboundPost]:
    """The copies to send on ``network``, oldest first, after queueing the messages
    participants asked to share that a moderator has since approved."""
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
    return list(
        OutboundPost.objects.filter(
            message__session__event_id=event_id,
            network=network,
            status=OutboundPost.Status.PENDING,
        ).order_by("pk")[:OUTBOUND_BATCH]
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
