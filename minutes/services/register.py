"""The decision register: the decisions and actions of a session's minutes.

Note-takers write decisions and actions as blocks of the minutes
(``minutes.services.blocks``); the register lists them, each under the agenda item
whose section it falls in (the level-2 heading above it, as the skeleton wrote
them), for the session page and the published minutes. Example::

    register = read_register(doc)
    register.decisions[0]  # Decision(text="Le budget est adopté.", item="Budget")
    register.actions[0]    # Action(text="Envoyer le devis.", owner="Awa",
                           #        due=date(2025, 3, 1), item="Budget")

The page keeps it live by reading the Yjs document in the browser with the same
rules (frontend/src/minutes-register.js); the server renders it on page load, for
readers without JavaScript and for the published page.

Reading a document means loading its snapshot and log, so ``minutes_register``
caches the register under the last stored update (its id and time: ids alone can
come back after a database is emptied, as between tests): a page load costs one
indexed query while nobody writes, and a new edit is a new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from pycrdt import Doc

from minutes.models import MinutesSnapshot, MinutesUpdate, MinutesVersion
from minutes.services import blocks, store
from minutes.services.document import Node, Text, heading_level, load_doc, read_tree, text_of

#: The agenda items' headings, as the skeleton writes them.
ITEM_LEVEL = 2
#: The longest text of one entry; the minutes keep the whole block.
TEXT_MAX = 1000
#: How long a register stays cached (a new edit changes the key anyway).
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Decision:
    text: str
    item: str


@dataclass(frozen=True)
class Action:
    text: str
    owner: str
    due: date | None
    item: str


@dataclass(frozen=True)
class Register:
    decisions: tuple[Decision, ...] = ()
    actions: tuple[Action, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.decisions or self.actions)


def read_register(doc: Doc) -> Register:
    """The decisions and actions of ``doc``, in document order, with their agenda item."""
    decisions: list[Decision] = []
    actions: list[Action] = []
    item = ""
    for node in read_tree(doc):
        if isinstance(node, Text):
            continue
        if node.type == "heading" and heading_level(node.attrs.get("level")) == ITEM_LEVEL:
            item = _line(text_of(node.children))
            continue
        for block in _blocks(node):
            text = _line(text_of(block.children))
            if block.type == blocks.DECISION:
                decisions.append(Decision(text, item))
            else:
                owner, due = blocks.action_meta(block)
                actions.append(Action(text, owner, due, item))
    return Register(tuple(decisions), tuple(actions))


def _blocks(node: Node) -> list[Node]:
    """The decisions and actions in ``node`` (itself, or nested in lists, quotes, tables)."""
    if node.type in (blocks.DECISION, blocks.ACTION):
        return [node]
    return [found for child in node.children if isinstance(child, Node) for found in _blocks(child)]


def _line(text: str) -> str:
    return " ".join(text.split())[:TEXT_MAX]


def minutes_register(minutes_id: int) -> Register:
    """The register of the stored minutes ``minutes_id`` (cached per stored state)."""
    key = f"minutes:register:{minutes_id}:{_last_stored(minutes_id)}"
    register = cache.get(key)
    if register is None:
        register = read_register(load_doc(store.load_document(minutes_id).blobs()))
        cache.set(key, register, CACHE_SECONDS)
    return register


def version_register(version: MinutesVersion) -> Register:
    """The register of a published version (frozen, so cached under the version)."""
    key = f"minutes:register:version:{version.pk}:{version.published_at.timestamp()}"
    register = cache.get(key)
    if register is None:
        state = bytes(version.state or b"")
        register = read_register(load_doc([state] if state else []))
        cache.set(key, register, CACHE_SECONDS)
    return register


def _last_stored(minutes_id: int) -> str:
    """The newest update (id and time), which names the document's state.

    Ids increase in commit order; compaction may have folded every update into a
    snapshot, whose ``upto`` then names the same state.
    """
    last = (
        MinutesUpdate.objects.filter(minutes_id=minutes_id)
        .order_by("-pk")
        .values_list("pk", "created_at")
        .first()
    )
    if last is None:
        last = (
            MinutesSnapshot.objects.filter(minutes_id=minutes_id)
            .order_by("-upto")
            .values_list("upto", "created_at")
            .first()
        )
    return f"{last[0]}:{last[1].timestamp()}" if last else "0"
