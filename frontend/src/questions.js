// Audience questions: shows the question frames of the session socket and sends
// the participants' and the moderators' actions over it.
//
// Invariants:
// - Question text reaches the page through textContent only: nothing a participant
//   wrote ever goes through innerHTML.
// - Each question is shown once, in the group of its status (on screen, pending,
//   open, answered): `question.updated` replaces it by id, an archived one leaves.
//   Pending questions are kept for moderators and for their author only.
// - A `question.list` is a snapshot: it replaces what is shown, keeping the
//   elements of questions that stay (and so the focus inside them).
// - The lists are not live regions themselves: sorting by votes moves items, and a
//   live list would read every moved question out again. New questions and the
//   question put on screen are announced through the page's polite announcer.
// - The agenda item filter only hides questions: the lists keep them all.
// - Focus only moves when the user acts, or when the element holding it leaves
//   (or is rebuilt in another group: focus follows the question).
//
// Every word comes from templates/livechat/fragment_questions.html, so it is translated.
// The text box (client ids, resending after a lost connection) is composer.js,
// shared with the chat. When the event's hashtag bridge can post (`data-bridge-posts`),
// participants may ask for their question to go out under the hashtag (`share`,
// chosen question by question) and moderators send approved ones out
// (`bridge.send_question`).

import { createComposer } from "./composer.js";
import { format, INERT, timeFormat } from "./text.js";

const VOTABLE = new Set(["open", "on_screen"]);
const GROUPS = ["on_screen", "pending", "open", "answered"];
const NEAR_LIMIT = 30; // characters left from which the count is read out

// The agenda is rendered by the server in the same page: item id -> title.
export function agendaTitles() {
  const titles = new Map();
  for (const li of document.querySelectorAll("[data-agenda] li[data-item]")) {
    const title = li.querySelector(".agenda__title");
    if (title) titles.set(Number(li.dataset.item), title.textContent.trim());
  }
  return titles;
}

export function createQuestions(root, socket, { announce = () => {} } = {}) {
  if (!root) return INERT;

  const $ = (selector) => root.querySelector(selector);
  const strings = {};
  for (const span of $("template[data-questions-strings]").content.querySelectorAll("[data-key]")) {
    strings[span.dataset.key] = span.textContent.trim();
  }
  const itemTemplate = $("template[data-questions-item-template]").content.firstElementChild;

  const lists = {};
  const groups = {};
  for (const key of GROUPS) {
    lists[key] = $(`[data-questions-list="${key}"]`);
    groups[key] = $(`[data-questions-group="${key}"]`);
  }
  const listsBox = $("[data-questions-lists]");
  const empty = $("[data-questions-empty]");
  const noneShown = $("[data-questions-none-shown]");
  const itemFilterRow = $("[data-questions-item-filter-row]");
  const itemFilter = $("[data-questions-item-filter]");
  const alertLine = $("[data-questions-alert]");
  const pendingHeading = $("[data-questions-pending-heading]");
  const projectorLink = $("[data-questions-projector]");

  const form = $("[data-questions-form]");
  const input = $("[data-questions-input]");
  const count = $("[data-questions-count]");
  const remaining = $("[data-questions-remaining]");
  const premoderatedNote = $("[data-questions-premoderated]");
  const errorLine = $("[data-questions-error]");
  const sentLine = $("[data-questions-sent]");
  const sendButton = $("[data-questions-send]");
  const closed = $("[data-questions-closed]");

  const shareRow = $("[data-questions-share-row]");
  const shareBox = $("[data-questions-share]");

  const userId = root.dataset.userId || null;
  const hashtag = root.dataset.hashtag || "";
  const canShare = hashtag !== "" && root.hasAttribute("data-bridge-posts");
  const maxLength = Number(root.dataset.maxLength) || 300;
  const lang = document.documentElement.lang || undefined;
  const clock = timeFormat(lang, root.dataset.timeZone);
  const plural = new Intl.PluralRules(lang);
  const titles = agendaTitles();

  const entries = new Map(); // question id -> { question, li }
  const state = {
    synced: false,
    canAsk: false,
    canModerate: false,
    premoderated: false,
    voted: new Set(), // ids this viewer voted for
    busy: new Set(), // ids with a vote or a moderation not yet answered
    sort: "votes", // or "time"
    item: null, // the agenda item id shown alone, as a string
    sentOut: new Set(), // ids this moderator sent out under the hashtag
  };

  // -- rendering a question --------------------------------------------------------

  function isMine(question) {
    return userId !== null && question.author.id !== null && String(question.author.id) === userId;
  }

  function authorName(question) {
    return question.author.name || strings.formerParticipant;
  }

  function voteLabel(votes) {
    const key = plural.select(votes) === "one" ? "voteOne" : "voteOther";
    return format(strings[key], { count: votes });
  }

  function build(question) {
    const li = itemTemplate.cloneNode(true);
    const field = (name) => li.querySelector(`[data-field="${name}"]`);
    const textId = `question-${question.id}-text`;
    li.id = `question-${question.id}`;
    li.dataset.id = String(question.id);
    li.dataset.item = question.agenda_item == null ? "" : String(question.agenda_item);
    li.hidden = !matchesItem(li);
    li.classList.add(`question--${question.status.replace("_", "-")}`);
    li.classList.toggle("question--mine", isMine(question));

    field("author").textContent = authorName(question);
    const badgeText = strings[question.author.badge];
    if (question.author.badge && badgeText) {
      const badge = field("badge");
      badge.textContent = badgeText;
      badge.hidden = false;
    }
    const time = field("time");
    const created = new Date(question.created_at);
    time.dateTime = question.created_at;
    time.textContent = Number.isNaN(created.getTime()) ? "" : clock.format(created);
    if (question.status === "pending") {
      const label = field("state");
      label.textContent = strings.pending;
      label.hidden = false;
    }
    if (question.share_requested && hashtag && (state.canModerate || isMine(question))) {
      const share = field("share");
      share.textContent = format(strings.shareRequested, { tag: hashtag });
      share.hidden = false;
    }

    const text = field("text");
    text.id = textId;
    text.textContent = question.text;
    const title = titles.get(question.agenda_item);
    if (title) {
      const item = field("item");
      item.textContent = format(strings.agendaItem, { title });
      item.hidden = false;
    }

    const votes = field("votes");
    votes.textContent = voteLabel(question.votes);
    votes.hidden = question.status === "pending";
    const vote = li.querySelector('[data-action="vote"]');
    if (vote) {
      vote.hidden = !VOTABLE.has(question.status);
      vote.setAttribute("aria-pressed", String(state.voted.has(question.id)));
      vote.setAttribute("aria-describedby", textId);
    }

    // Shown to those who write the minutes only (minutes.js marks the page), for
    // questions the room can see.
    const quote = li.querySelector('[data-action="quote"]');
    quote.parentElement.hidden = question.status === "pending";
    quote.setAttribute("aria-describedby", textId);

    const actions = field("actions");
    actions.hidden = !state.canModerate;
    for (const button of actions.querySelectorAll("[data-action]")) {
      button.hidden = !button.dataset.when.split(" ").includes(question.status);
      button.setAttribute("aria-describedby", textId);
    }
    const sendOut = actions.querySelector('[data-action="send-out"]');
    if (sendOut) {
      if (!canShare) sendOut.hidden = true;
      // aria-disabled rather than disabled: the button keeps focus once pressed.
      if (state.sentOut.has(question.id)) sendOut.setAttribute("aria-disabled", "true");
    }
    if (state.busy.has(question.id)) {
      for (const button of li.querySelectorAll("button")) button.setAttribute("aria-busy", "true");
    }
    return li;
  }

  // -- the lists -------------------------------------------------------------------

  function visible(question) {
    if (!GROUPS.includes(question.status)) return false; // archived, or unknown
    return question.status !== "pending" || state.canModerate || isMine(question);
  }

  function matchesItem(li) {
    return state.item === null || li.dataset.item === state.item;
  }

  function compare(a, b) {
    if (state.sort === "time") return b.id - a.id; // newest first
    return b.votes - a.votes || a.id - b.id; // most votes, then asked first
  }

  function sameControl(li, previous) {
    // The control the user was on, if the question's new state still offers it.
    if (!previous.dataset.action) return null;
    for (const button of li.querySelectorAll(`[data-action="${previous.dataset.action}"]`)) {
      if (!button.hidden && button.dataset.when === previous.dataset.when) return button;
    }
    return null;
  }

  // Show a question (new or changed); returns its previous state, or null.
  function place(question) {
    const existing = entries.get(question.id);
    const li = build(question);
    entries.set(question.id, { question, li });
    if (!existing) return null;
    const focused = existing.li.contains(document.activeElement) ? document.activeElement : null;
    existing.li.replaceWith(li);
    if (focused) (sameControl(li, focused) ?? li).focus({ preventScroll: true });
    return existing.question;
  }

  function drop(id) {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    const hadFocus = entry.li.contains(document.activeElement);
    const neighbour = entry.li.nextElementSibling ?? entry.li.previousElementSibling;
    entry.li.remove();
    if (hadFocus) (neighbour ?? listsBox).focus({ preventScroll: true });
  }

  // Put every question in its group and order, moving only what is out of place.
  function layout() {
    const focused = listsBox.contains(document.activeElement) ? document.activeElement : null;
    const buckets = Object.fromEntries(GROUPS.map((key) => [key, []]));
    for (const { question } of entries.values()) buckets[question.status].push(question);
    buckets.pending.sort((a, b) => a.id - b.id); // a queue: first asked, first reviewed
    buckets.on_screen.sort((a, b) => a.id - b.id);
    buckets.open.sort(compare);
    buckets.answered.sort(compare);
    for (const key of GROUPS) {
      const list = lists[key];
      buckets[key].forEach((question, index) => {
        const li = entries.get(question.id).li;
        if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
      });
      // What is left belongs to another group, which takes it in its own turn.
      while (list.children.length > buckets[key].length) list.lastElementChild.remove();
    }
    for (const key of ["on_screen", "pending", "answered"]) {
      groups[key].hidden = ![...lists[key].children].some((li) => !li.hidden);
    }
    if (focused && focused.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
    }
    showEmpty();
  }

  function showEmpty() {
    empty.hidden = !state.synced || entries.size > 0;
    noneShown.hidden = entries.size === 0 || [...entries.values()].some(({ li }) => !li.hidden);
  }

  function setItem(item) {
    state.item = item;
    for (const { li } of entries.values()) li.hidden = !matchesItem(li);
    layout();
  }

  function refreshChrome() {
    root.toggleAttribute("data-can-moderate", state.canModerate);
    root.toggleAttribute("data-can-ask", state.canAsk);
    if (projectorLink) projectorLink.hidden = !state.canModerate;
    pendingHeading.textContent = state.canModerate ? strings.pending : strings.pendingMine;
    if (form) {
      form.hidden = !state.synced || !state.canAsk;
      closed.hidden = !state.synced || state.canAsk;
      premoderatedNote.hidden = !state.premoderated;
      // Moderators send questions out with each question's own button instead.
      if (shareRow) shareRow.hidden = !canShare || state.canModerate;
      // A description is read even when hidden: name the note only when it shows.
      const described = ["question-count", "question-error"];
      if (state.premoderated) described.unshift(premoderatedNote.id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    showEmpty();
  }

  // -- frames from the server ------------------------------------------------------

  function showList(frame) {
    state.canAsk = Boolean(frame.can_ask);
    state.canModerate = Boolean(frame.can_moderate);
    state.premoderated = Boolean(frame.premoderated);
    state.voted = new Set(frame.voted);
    const shown = frame.questions.filter(visible);
    const ids = new Set(shown.map((question) => question.id));
    for (const id of [...entries.keys()]) if (!ids.has(id)) drop(id);
    for (const question of shown) place(question); // rebuilt: the rights may have changed
    state.synced = true;
    layout();
    refreshChrome();
  }

  function showUpdate(question) {
    if (!visible(question)) {
      drop(question.id);
      layout();
      refreshChrome();
      return;
    }
    const previous = place(question);
    layout();
    refreshChrome();
    if (!state.synced) return;
    const name = authorName(question);
    if (previous === null && !isMine(question)) {
      announce(format(strings.newQuestion, { name, text: question.text }));
    } else if (previous && previous.status === "pending" && question.status !== "pending"
               && isMine(question) && !state.canModerate) {
      announce(strings.approved);
    }
    if (question.status === "on_screen" && previous?.status !== "on_screen") {
      announce(format(strings.nowOnScreen, { text: question.text }));
    }
  }

  function apply(frame) {
    switch (frame.type) {
      case "question.list":
        showList(frame);
        break;
      case "question.updated":
        showUpdate(frame.question);
        break;
      default:
        break;
    }
  }

  // The room opens or closes (`room.status`): asking follows, for those who may
  // ask at all (logged in: the form is there).
  function roomStatus(open) {
    const canAsk = Boolean(open && form);
    if (canAsk === state.canAsk) return;
    state.canAsk = canAsk;
    refreshChrome();
  }

  function connection(status) {
    composer?.connection(status);
  }

  // -- actions ---------------------------------------------------------------------

  function act(frame) {
    alertLine.textContent = "";
    return socket.request(frame).catch((error) => {
      alertLine.textContent = error.message || strings.disconnected;
      throw error;
    });
  }

  // Re-render one question (its buttons' pressed and busy states) where it is.
  function refresh(id) {
    const entry = entries.get(id);
    if (entry) place(entry.question);
  }

  function toggleVote(id) {
    if (state.busy.has(id)) return;
    const wanted = !state.voted.has(id);
    const setVoted = (on) => {
      if (on) state.voted.add(id);
      else state.voted.delete(id);
    };
    setVoted(wanted); // the button answers at once; the count comes from the server
    state.busy.add(id);
    refresh(id);
    act({ type: "question.vote", id, vote: wanted })
      .catch(() => setVoted(!wanted))
      .finally(() => {
        state.busy.delete(id);
        refresh(id);
      });
  }

  // A moderator sends an approved question out under the hashtag.
  function sendOut(id) {
    if (state.sentOut.has(id)) return;
    state.sentOut.add(id);
    refresh(id);
    act({ type: "bridge.send_question", id })
      .then(() => announce(format(strings.sendOutDone, { tag: hashtag })))
      .catch(() => {
        state.sentOut.delete(id);
        refresh(id);
      });
  }

  function moderate(id, status) {
    if (state.busy.has(id)) return;
    state.busy.add(id);
    refresh(id);
    act({ type: "question.set", id, status })
      .catch(() => {})
      .finally(() => {
        state.busy.delete(id);
        refresh(id);
      });
  }

  // -- asking ----------------------------------------------------------------------

  const composer = form
    ? createComposer({
      socket,
      input,
      sendButton,
      count,
      remaining,
      errorLine,
      strings,
      maxLength,
      nearLimit: NEAR_LIMIT,
      refuseBlank: true,
      frame: (ask) => ({
        type: "question.ask",
        text: ask.text,
        client_id: ask.clientId,
        share: ask.context.share,
      }),
      context: askContext,
      onSending: () => {
        sentLine.textContent = "";
      },
      onSent: (ask) => {
        sentLine.textContent = state.premoderated ? strings.sentPending : strings.sent;
        // Going out under the hashtag is chosen question by question.
        if (shareBox && ask.context.share) shareBox.checked = false;
      },
    })
    : null;

  // Whether a question should go out under the hashtag. The composer sends a
  // question again with the same client id only when its text and context are the
  // same objects: the same choice gives back the last context.
  let lastContext = null;
  function askContext() {
    const share = Boolean(canShare && shareBox && shareBox.checked && !state.canModerate);
    if (!lastContext || lastContext.share !== share) lastContext = Object.freeze({ share });
    return lastContext;
  }

  // -- wiring ----------------------------------------------------------------------

  // A note-taker quotes a question into the minutes: minutes.js inserts it in
  // their own editor, as plain text with its author, time and agenda item.
  function quoteInMinutes(question) {
    document.dispatchEvent(new CustomEvent("minutes:quote", {
      detail: {
        kind: "question",
        text: question.text,
        author: authorName(question),
        time: question.created_at,
        item: question.agenda_item,
      },
    }));
  }

  listsBox.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = Number(button.closest("li").dataset.id);
    if (!entries.has(id)) return;
    if (button.dataset.action === "vote") toggleVote(id);
    else if (button.dataset.action === "quote") quoteInMinutes(entries.get(id).question);
    else if (button.dataset.action === "send-out") {
      if (state.canModerate && canShare) sendOut(id);
    } else if (state.canModerate) moderate(id, button.dataset.action);
  });

  // The select's own value is what a screen reader reads: changing it moves nothing.
  for (const [id, title] of titles) itemFilter.add(new Option(title, String(id)));
  itemFilterRow.hidden = titles.size === 0;
  itemFilter.addEventListener("change", () => setItem(itemFilter.value || null));

  for (const radio of root.querySelectorAll("[data-questions-sort] input[type=radio]")) {
    if (radio.checked) state.sort = radio.value;
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      state.sort = radio.value;
      layout();
    });
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      composer.submit();
    });
    input.addEventListener("input", () => {
      sentLine.textContent = "";
    });
  }

  return { apply, roomStatus, connection };
}
