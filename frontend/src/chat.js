// The session chat: shows the chat frames of the session socket and sends the
// participant's actions over it.
//
// Invariants:
// - Participant text reaches the page through textContent and createElement only,
//   built from the server's tokens; links are made for http(s) URLs only. Nothing
//   a participant wrote ever goes through innerHTML.
// - The list holds each message once, in id order, at most CAP of them: a
//   `chat.message` for an id already shown replaces it (restored messages, or an
//   event replayed after a snapshot that already had it).
// - A reconnect that resumes with `?since=` brings only the missed events, so the
//   messages already shown are kept; a `chat.history` with no `ref` is a snapshot
//   and replaces the list; one with a `ref` answers `chat.older`.
// - Focus only moves when the user acts, or when the element holding it leaves.
// - Filters (a hashtag, an agenda item) only hide messages: the list keeps them all.
// - The author's own messages waiting for review (`chat.notice` pending, with the
//   message, and a snapshot's `pending`) are shown to them alone, marked as
//   waiting, in their place by id; the `chat.message` that publishes one replaces
//   it, a rejection removes it. A snapshot replaces them with its own `pending`.
// - A message with a `source` was imported by the hashtag bridge (chat-bridge.js
//   adds its network, handle, content warning, media and original); one with
//   neither an author id nor a source is from an erased account: it is named
//   "deleted participant", with no badge, and cannot be reported or sanctioned.
// - State changes that are not new messages (reactions, "reported", a sanction's
//   buttons) update the message's element in place: rebuilding it would make the
//   log (aria-relevant="additions") read the message out again.
// - A participant barred from posting (`restriction`) sees why in place of the
//   composer, which is disabled; a timeout ends by itself at its `until`.
//
// Every word comes from templates/livechat/fragment_chat.html, so it is translated.
// The review queue is chat-queue.js, reactions chat-reactions.js, and the text box
// composer.js (shared with the questions), imported posts and the bridge's console
// chat-bridge.js.

import {
  bridgeStrings,
  decorateImported,
  opensNewWindow,
  renderBridgeStatus,
  sendOutButton,
} from "./chat-bridge.js";
import { createQueue } from "./chat-queue.js";
import { createReactions } from "./chat-reactions.js";
import { createComposer } from "./composer.js";
import { agendaTitles } from "./questions.js";
import { dayTimeFormat, format, INERT, timeFormat, zonedFormat } from "./text.js";

const CAP = 500;
const NEAR_BOTTOM = 48; // pixels from the bottom that still count as "at the bottom"
const MODERATORS = new Set(["organiser", "moderator"]); // badges that cannot be sanctioned
const TIMEOUT_MINUTES = 10;
const MAX_TIMER = 2 ** 31 - 1; // setTimeout's longest delay

function safeUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

export function createChat(root, socket, { announce = () => {} } = {}) {
  if (!root) return INERT;

  const $ = (selector) => root.querySelector(selector);
  const strings = {};
  for (const span of $("template[data-chat-strings]").content.querySelectorAll("[data-key]")) {
    strings[span.dataset.key] = span.textContent.trim();
  }
  const bridge = bridgeStrings(root);
  const messageTemplate = $("template[data-chat-message-template]").content.firstElementChild;
  const groundTemplate = $("template[data-chat-grounds]").content;
  const groundLabels = new Map(
    [...groundTemplate.querySelectorAll("option")].map((option) => [option.value, option.textContent.trim()]),
  );
  const groundOptions = () => [...groundTemplate.querySelectorAll("option")].map((o) => o.cloneNode(true));
  const emoji = new Map(
    [...$("template[data-chat-emoji]").content.querySelectorAll("[data-emoji]")].map((span) => [
      span.dataset.emoji,
      span.textContent.trim(),
    ]),
  );

  const log = $("[data-chat-log]");
  const list = $("[data-chat-list]");
  const empty = $("[data-chat-empty]");
  const noneShown = $("[data-chat-none-shown]");
  const itemFilterRow = $("[data-chat-item-filter-row]");
  const itemFilter = $("[data-chat-item-filter]");
  const statusLine = $("[data-chat-status]");
  const olderButton = $("[data-chat-older]");
  const newButton = $("[data-chat-new]");
  const alertLine = $("[data-chat-alert]");
  const filterBar = $("[data-chat-filter]");
  const filterLabel = $("[data-chat-filter-label]");
  const transparencyLine = $("[data-chat-transparency]");

  const form = $("[data-chat-form]");
  const input = $("[data-chat-input]");
  const count = $("[data-chat-count]");
  const remaining = $("[data-chat-remaining]");
  const slowLine = $("[data-chat-slow]");
  const modeHint = $("[data-chat-mode]");
  const restrictedLine = $("[data-chat-restricted]");
  const errorLine = $("[data-chat-error]");
  const sendButton = $("[data-chat-send]");
  const replying = $("[data-chat-replying]");
  const replyingLabel = $("[data-chat-replying-label]");
  const closed = $("[data-chat-closed]");

  const reportForm = $("[data-chat-report-form]");
  const reportTitle = $("[data-chat-report-title]");
  const reportGround = $("#chat-report-ground");

  const moderation = $("[data-chat-moderation]");
  const slowForm = $("[data-chat-slow-form]");
  const slowSelect = $("[data-chat-slow-select]");
  const hideForm = $("[data-chat-hide-form]");
  const hideTitle = $("[data-chat-hide-title]");
  const hideReason = $("[data-chat-hide-reason]");
  const hideGround = $("#chat-hide-ground");
  const sanctionForm = $("[data-chat-sanction-form]");
  const sanctionTitle = $("[data-chat-sanction-title]");
  const sanctionReason = $("[data-chat-sanction-reason]");
  const sanctionSubmit = $("[data-chat-sanction-submit]");
  const modeLine = $("[data-chat-mode-line]");
  const notice = $("[data-chat-notice]");
  const noticeText = $("[data-chat-notice-text]");
  const undoButton = $("[data-chat-undo]");
  const shareRow = $("[data-chat-share-row]");
  const shareBox = $("[data-chat-share]");
  const bridgeSection = $("[data-chat-bridge]");
  const bridgeHeading = $("[data-chat-bridge-heading]");
  const bridgeList = $("[data-chat-bridge-list]");

  const userId = root.dataset.userId || null;
  // The event's hashtag, and whether its bridge may post under it (the page says
  // so only when an account to post with is set up): no button, no box otherwise.
  const hashtag = root.dataset.hashtag || "";
  const canShare = hashtag !== "" && root.hasAttribute("data-bridge-posts");
  const maxLength = Number(root.dataset.maxLength) || 500;
  const lang = document.documentElement.lang || undefined;
  const clock = timeFormat(lang, root.dataset.timeZone);
  const dayClock = dayTimeFormat(lang, root.dataset.timeZone);
  const day = zonedFormat(lang, root.dataset.timeZone, { dateStyle: "short" });
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const plural = new Intl.PluralRules(lang);
  const groundList = typeof Intl.ListFormat === "function"
    ? new Intl.ListFormat(lang, { type: "unit", style: "short" })
    : { format: (items) => items.join(", ") };

  for (const select of root.querySelectorAll("select[data-chat-grounds-select]")) {
    select.append(...groundOptions());
  }

  const entries = new Map(); // message id -> { message, li, pending }
  const state = {
    synced: false,
    hasMore: false,
    canPost: false,
    canModerate: false,
    slowMode: 0,
    filter: null, // a normalised hashtag value
    item: null, // an agenda item id, as a string
    unseen: 0,
    replyTo: null, // { id, name }
    loadingOlder: false,
    hiding: null, // { id, name } while the hide form is open
    reporting: null, // { id, name } while the report form is open
    sanctioning: null, // { id, user, name, minutes } while the sanction form is open
    lastHidden: null, // id of the message this moderator hid last (for "Undo")
    undo: null, // what "Undo" does, or null
    mode: "open",
    restriction: null, // { kind, until, reason } while this viewer may not post
    reported: new Set(), // ids of the messages this viewer reported
    sanctioned: new Map(), // user id -> "ban" | "timeout": sanctions this moderator set here
    sentOut: new Set(), // ids of the messages this moderator sent out under the hashtag
    bridgeStopped: null, // the networks the last bridge.status said were stopped
  };
  let restrictionTimer = null;

  const reactions = createReactions({
    emoji,
    strings,
    canReact: userId !== null,
    send: (frame) => act(frame),
  });
  const queue = moderation
    ? createQueue(root, {
      strings,
      act: (frame) => socket.request(frame),
      announce,
      clock,
      plural,
      groundOptions,
      bridge,
    })
    : null;

  // -- scrolling -------------------------------------------------------------------

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight <= NEAR_BOTTOM;
  }

  function scrollToBottom(smooth = false) {
    // Glide over a short distance only: a long smooth scroll is slow, and a message
    // arriving meanwhile would find the reader "not at the bottom".
    const distance = log.scrollHeight - log.scrollTop - log.clientHeight;
    const glide = smooth && !reducedMotion.matches && distance < 2 * log.clientHeight;
    log.scrollTo({ top: log.scrollHeight, behavior: glide ? "smooth" : "auto" });
  }

  function firstVisibleItem() {
    const top = log.getBoundingClientRect().top;
    for (const li of list.children) {
      if (!li.hidden && li.getBoundingClientRect().bottom > top) return li;
    }
    return null;
  }

  // Change the list without moving what the reader is looking at: follow the
  // bottom when they were there, else keep the first visible message in place.
  function keepingPlace(mutate, { followBottom = true } = {}) {
    const follow = followBottom && atBottom();
    const anchor = follow ? null : firstVisibleItem();
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    mutate();
    if (follow) {
      scrollToBottom();
    } else if (anchor && anchor.isConnected) {
      log.scrollTop += anchor.getBoundingClientRect().top - before;
    }
  }

  // Batches (a snapshot, older pages) are not read out message by message.
  let quietTimer = null;
  function quietly(mutate) {
    log.setAttribute("aria-live", "off");
    log.setAttribute("aria-busy", "true");
    mutate();
    window.clearTimeout(quietTimer);
    quietTimer = window.setTimeout(() => {
      log.setAttribute("aria-live", "polite");
      log.removeAttribute("aria-busy");
    }, 300);
  }

  function showUnseen() {
    newButton.hidden = state.unseen === 0;
    if (state.unseen > 0) {
      newButton.textContent =
        state.unseen === 1 ? strings.newOne : format(strings.newMany, { count: state.unseen });
    }
  }

  function clearUnseen() {
    state.unseen = 0;
    showUnseen();
  }

  // -- rendering a message ---------------------------------------------------------

  function isMine(message) {
    return userId !== null && message.author.id !== null && String(message.author.id) === userId;
  }

  // An erased account: no author id, and not a post imported from outside.
  function isErased(message) {
    return message.author.id === null && !message.source;
  }

  function authorName(message) {
    if (isErased(message)) return strings.erasedParticipant;
    return message.author.name || strings.formerParticipant;
  }

  function appendTokens(container, message) {
    const tokens = Array.isArray(message.tokens) && message.tokens.length
      ? message.tokens
      : [{ kind: "text", text: message.text, value: "" }];
    for (const token of tokens) {
      const text = String(token.text ?? "");
      if (token.kind === "link") {
        const href = safeUrl(String(token.value ?? ""));
        if (href) {
          const a = document.createElement("a");
          a.href = href;
          a.rel = "nofollow noopener ugc";
          a.target = "_blank";
          a.textContent = text;
          a.setAttribute("aria-describedby", "chat-new-window");
          container.append(a);
          continue;
        }
      } else if (token.kind === "hashtag" && token.value) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "chat-msg__hashtag";
        button.dataset.tag = String(token.value);
        button.textContent = text;
        button.setAttribute("aria-label", format(strings.filterBy, { tag: text }));
        button.setAttribute("aria-pressed", String(state.filter === button.dataset.tag));
        container.append(button);
        continue;
      } else if (token.kind === "mention") {
        const strong = document.createElement("strong");
        strong.className = "chat-msg__mention";
        strong.textContent = text;
        container.append(strong);
        continue;
      }
      container.append(document.createTextNode(text));
    }
  }

  function sanctionable(message) {
    return state.canModerate && message.author.id !== null && !MODERATORS.has(message.author.badge)
      && !isMine(message);
  }

  // The buttons that depend on what this viewer did since (report, sanctions).
  function updateActions(li, message, pending) {
    const name = authorName(message);
    const report = li.querySelector('[data-action="report"]');
    report.hidden = pending || userId === null || isMine(message) || state.canModerate
      || isErased(message);
    const reported = state.reported.has(message.id);
    report.textContent = reported ? strings.reported : report.dataset.text;
    report.setAttribute("aria-label", format(reported ? strings.reportedLabel : strings.report, { name }));
    if (reported) report.setAttribute("aria-disabled", "true");
    else report.removeAttribute("aria-disabled");

    // Named by their visible words, described by the author's name.
    const canSanction = !pending && sanctionable(message);
    const sanctioned = canSanction && state.sanctioned.has(message.author.id);
    const focused = li.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    for (const [action, shown] of [
      ["timeout", canSanction && !sanctioned],
      ["ban", canSanction && !sanctioned],
      ["lift", sanctioned],
    ]) {
      const button = li.querySelector(`[data-action="${action}"]`);
      button.hidden = !shown;
      button.setAttribute("aria-describedby", `${li.id}-author`);
    }
    // A button that just went (sanction set or lifted): focus its replacement.
    if (focused && li.querySelector(`[data-action="${focused}"]`).hidden) {
      li.querySelector(sanctioned ? '[data-action="lift"]' : '[data-action="timeout"]')?.focus();
    }
  }

  function renderReactions(id) {
    const entry = entries.get(id);
    if (!entry || entry.pending) return;
    reactions.render(entry.li.querySelector('[data-field="reactions"]'), entry.message, authorName(entry.message));
  }

  function build(message, pending = false) {
    const li = messageTemplate.cloneNode(true);
    const field = (name) => li.querySelector(`[data-field="${name}"]`);
    const name = authorName(message);
    const mine = isMine(message);
    li.id = `chat-message-${message.id}`;
    li.dataset.id = String(message.id);
    li.dataset.tags = (message.tokens || [])
      .filter((token) => token.kind === "hashtag" && token.value)
      .map((token) => token.value)
      .join(" ");
    li.dataset.item = message.agenda_item == null ? "" : String(message.agenda_item);
    li.classList.toggle("chat-msg--mine", mine);
    li.classList.toggle("chat-msg--pending", pending);
    li.classList.toggle("chat-msg--erased", isErased(message));
    if (message.author.id !== null) li.dataset.author = String(message.author.id);
    if (message.author.badge) li.classList.add(`chat-msg--${message.author.badge}`);

    field("author").textContent = name;
    field("author").id = `${li.id}-author`;
    const badgeText = strings[message.author.badge];
    if (message.author.badge && badgeText && !isErased(message)) {
      const badge = field("badge");
      badge.textContent = badgeText;
      badge.hidden = false;
    }
    const time = field("time");
    const created = new Date(message.created_at);
    time.dateTime = message.created_at;
    time.textContent = Number.isNaN(created.getTime()) ? "" : clock.format(created);
    if (pending) {
      field("state").textContent = strings.pendingYours;
      field("state").hidden = false;
    }

    if (message.reply_to) {
      field("quote").hidden = false;
      field("quote-label").textContent = format(strings.inReplyTo, {
        // Only an erased account leaves a quote without a name.
        name: message.reply_to.author || strings.erasedParticipant,
      });
      field("quote-text").textContent = message.reply_to.excerpt;
    }
    appendTokens(field("text"), message);
    field("edited").hidden = !message.edited;

    const reply = li.querySelector('[data-action="reply"]');
    reply.hidden = pending;
    // Shown to those who write the minutes only (minutes.js marks the page).
    const quote = li.querySelector('[data-action="quote"]');
    quote.hidden = pending;
    quote.setAttribute("aria-describedby", `${li.id}-author`);
    reply.setAttribute("aria-label", format(strings.reply, { name }));
    const remove = li.querySelector('[data-action="delete"]');
    remove.hidden = !mine;
    remove.setAttribute("aria-label", format(strings.delete, { time: time.textContent }));
    const hide = li.querySelector('[data-action="hide"]');
    hide.hidden = mine || pending;
    hide.setAttribute("aria-label", format(strings.hide, { name }));
    const report = li.querySelector('[data-action="report"]');
    report.dataset.text = report.textContent.trim();
    updateActions(li, message, pending);
    if (!pending) reactions.render(field("reactions"), message, name);
    if (!pending && state.canModerate && canShare) {
      const button = sendOutButton(message, bridge, hashtag, (frame) => sendOutMessage(frame));
      if (button) {
        button.setAttribute("aria-describedby", `${li.id}-author`);
        if (state.sentOut.has(message.id)) button.setAttribute("aria-disabled", "true");
        field("actions").append(button);
      }
    }
    decorateImported(li, message, bridge);
    opensNewWindow(li, "chat-new-window");

    li.hidden = !matchesFilter(li);
    return li;
  }

  // -- the list --------------------------------------------------------------------

  // Put a message in its place by id; returns true when it was not shown before.
  function place(message, { pending = false } = {}) {
    const li = build(message, pending);
    const existing = entries.get(message.id);
    entries.set(message.id, { message, li, pending });
    if (existing) {
      const focused = existing.li.contains(document.activeElement) ? document.activeElement : null;
      existing.li.replaceWith(li);
      if (focused && focused.dataset.action) {
        const emojiKey = focused.dataset.emoji ? `[data-emoji="${focused.dataset.emoji}"]` : "";
        const same = li.querySelector(`[data-action="${focused.dataset.action}"]${emojiKey}`);
        (same && !same.hidden ? same : log).focus();
      } else if (focused) {
        log.focus();
      }
      return false;
    }
    let next = null;
    for (let el = list.lastElementChild; el; el = el.previousElementSibling) {
      if (Number(el.dataset.id) < message.id) break;
      next = el;
    }
    list.insertBefore(li, next);
    return true;
  }

  function drop(id) {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    const hadFocus = entry.li.contains(document.activeElement);
    entry.li.remove();
    if (hadFocus) log.focus();
    if (state.replyTo && state.replyTo.id === id) cancelReply(false);
    if (state.hiding && state.hiding.id === id) closeHideForm(false);
    if (state.reporting && state.reporting.id === id) closeReportForm(false);
    if (state.sanctioning && state.sanctioning.id === id) closeSanctionForm(false);
  }

  // Keep at most CAP messages: the oldest go (they can be loaded again).
  function trim() {
    while (list.children.length > CAP) {
      drop(Number(list.firstElementChild.dataset.id));
      state.hasMore = true;
    }
  }

  function refreshChrome() {
    empty.hidden = !state.synced || entries.size > 0;
    showNoneShown();
    // A full list loads nothing older: the DOM keeps the latest CAP messages.
    olderButton.hidden = !state.hasMore || entries.size >= CAP;
    root.toggleAttribute("data-can-post", state.canPost && state.restriction === null);
    root.toggleAttribute("data-can-moderate", state.canModerate);
    if (form) {
      const restricted = state.restriction !== null;
      form.hidden = !state.synced || !state.canPost || restricted;
      restrictedLine.hidden = !state.synced || !state.canPost || !restricted;
      closed.hidden = !state.synced || state.canPost;
      input.disabled = restricted;
      sendButton.disabled = restricted;
      if (!state.canPost || restricted) cancelReply(false);
      if (shareRow) shareRow.hidden = !canShare || state.canModerate;
    }
    if (moderation) moderation.hidden = !state.canModerate;
    showSlowMode();
    showMode();
  }

  function showMode() {
    const hint = { pre_moderated: strings.modePre, post_moderated: strings.modePost }[state.mode];
    if (modeHint) {
      // Described by the box: empty, not only hidden, when there is nothing to say.
      const shown = Boolean(hint) && !state.canModerate;
      modeHint.hidden = !shown;
      modeHint.textContent = shown ? hint : "";
    }
    if (modeLine) {
      modeLine.textContent = {
        pre_moderated: strings.modeLinePre,
        post_moderated: strings.modeLinePost,
      }[state.mode] ?? strings.modeLineOpen;
    }
  }

  function showTransparency(transparency) {
    if (!transparency) return; // a page of older messages carries none
    const removed = Number(transparency.removed) || 0;
    transparencyLine.hidden = removed === 0;
    if (removed === 0) {
      transparencyLine.textContent = "";
      return;
    }
    const counts = transparency.grounds || {};
    const known = [...groundLabels.keys()];
    const grounds = Object.keys(counts)
      .filter((ground) => counts[ground] > 0)
      .sort((a, b) => known.indexOf(a) - known.indexOf(b))
      .map((ground) => format(strings.transparencyGround, {
        ground: groundLabels.get(ground) ?? ground,
        count: counts[ground],
      }));
    const key = plural.select(removed) === "one" ? "transparencyOne" : "transparencyOther";
    transparencyLine.textContent = format(strings[key], { count: removed, grounds: groundList.format(grounds) });
  }

  function describeRestriction(restriction) {
    const reason = String(restriction.reason ?? "").trim();
    const until = restriction.until ? new Date(restriction.until) : null;
    if (until && !Number.isNaN(until.getTime())) {
      // A timeout may end another day (up to a week): then say which.
      const time = (day.format(until) === day.format(new Date()) ? clock : dayClock).format(until);
      return reason
        ? format(strings.restrictedUntilReason, { time, reason })
        : format(strings.restrictedUntil, { time });
    }
    return reason ? format(strings.restrictedBanReason, { reason }) : strings.restrictedBan;
  }

  // Barred from posting (or not any more): the line replaces the composer.
  function setRestriction(restriction, { live }) {
    if (!form) return;
    window.clearTimeout(restrictionTimer);
    const before = state.restriction;
    state.restriction = restriction ?? null;
    if (state.restriction && state.restriction.until) {
      const left = new Date(state.restriction.until).getTime() - Date.now();
      if (left <= 0) {
        state.restriction = null;
      } else {
        restrictionTimer = window.setTimeout(() => setRestriction(null, { live: true }), Math.min(left, MAX_TIMER));
      }
    }
    restrictedLine.textContent = state.restriction ? describeRestriction(state.restriction) : "";
    const hadFocus = form.contains(document.activeElement);
    const lineHadFocus = document.activeElement === restrictedLine;
    refreshChrome();
    if (JSON.stringify(before) === JSON.stringify(state.restriction)) return;
    if (state.restriction && hadFocus && state.canPost) {
      restrictedLine.focus(); // read out as it takes focus
    } else if (!state.restriction && lineHadFocus && !form.hidden) {
      input.focus();
    }
    if (!live) return;
    if (state.restriction && !(hadFocus && state.canPost)) announce(restrictedLine.textContent);
    else if (!state.restriction && before) announce(strings.restrictionLifted);
  }

  function showNoneShown() {
    noneShown.hidden = entries.size === 0 || [...entries.values()].some(({ li }) => !li.hidden);
  }

  function showSlowMode() {
    if (slowLine) {
      slowLine.hidden = state.slowMode <= 0;
      slowLine.textContent = state.slowMode > 0 ? format(strings.slowMode, { seconds: state.slowMode }) : "";
    }
    if (slowSelect && document.activeElement !== slowSelect) {
      const value = String(state.slowMode);
      if (![...slowSelect.options].some((option) => option.value === value)) {
        slowSelect.add(new Option(format(strings.seconds, { seconds: value }), value));
      }
      slowSelect.value = value;
    }
  }

  // -- frames from the server ------------------------------------------------------

  function showHistory(frame) {
    state.hasMore = Boolean(frame.has_more);
    state.slowMode = frame.slow_mode_seconds || 0;
    state.canPost = Boolean(frame.can_post);
    state.canModerate = Boolean(frame.can_moderate);
    state.mode = frame.mode || "open";
    if (!state.canModerate) queue?.reset();
    reactions.learn(frame.reacted, { replace: true });
    showTransparency(frame.transparency);
    quietly(() => {
      for (const { li } of entries.values()) li.remove();
      entries.clear();
      for (const message of frame.messages) place(message);
      // The viewer's own messages still waiting for review, as a notice shows them.
      for (const message of frame.pending || []) place(message, { pending: true });
      trim();
    });
    const wasSynced = state.synced;
    state.synced = true;
    clearUnseen();
    setRestriction(frame.restriction, { live: wasSynced });
    refreshChrome();
    scrollToBottom();
  }

  function showOlder(frame) {
    const room = Math.max(0, CAP - entries.size);
    // Oldest first: when they do not all fit, keep the newest ones.
    const messages = frame.messages.slice(Math.max(0, frame.messages.length - room));
    reactions.learn(frame.reacted, { replace: false });
    quietly(() => {
      keepingPlace(() => {
        for (const message of messages) place(message);
      }, { followBottom: false });
    });
    state.hasMore = Boolean(frame.has_more) || messages.length < frame.messages.length;
    refreshChrome();
  }

  function showMessage(message, { pending = false } = {}) {
    const wasAtBottom = atBottom();
    let added = false;
    keepingPlace(() => {
      added = place(message, { pending });
      trim();
    });
    const li = entries.get(message.id)?.li;
    if (isMine(message)) {
      scrollToBottom();
      clearUnseen();
    } else if (added && !wasAtBottom && li && !li.hidden) {
      state.unseen += 1;
      showUnseen();
    }
    refreshChrome();
  }

  function removeMessage(id) {
    keepingPlace(() => {
      drop(id);
      // Quotes of it go too, as the server leaves them out of later snapshots:
      // a hidden message must not stay readable in the replies to it.
      for (const { message } of [...entries.values()]) {
        if (message.reply_to && message.reply_to.id === id) place({ ...message, reply_to: null });
      }
    });
    refreshChrome();
  }

  function showSettings(seconds, mode) {
    const changed = state.slowMode !== seconds;
    state.slowMode = seconds;
    showSlowMode();
    if (changed && state.synced) {
      announce(seconds > 0 ? format(strings.slowMode, { seconds }) : strings.slowModeOff);
    }
    const modeChanged = Boolean(mode) && state.mode !== mode;
    if (mode) state.mode = mode;
    showMode();
    if (modeChanged && state.synced && state.canPost && !state.canModerate) {
      announce({ pre_moderated: strings.modePre, post_moderated: strings.modePost }[mode] ?? strings.modeOpen);
    }
  }

  function showReactions(frame) {
    for (const { id, reactions: counts } of frame.messages || []) {
      const entry = entries.get(id);
      if (!entry || entry.pending) continue;
      entry.message = { ...entry.message, reactions: counts || {} };
      renderReactions(id);
    }
  }

  function apply(frame) {
    switch (frame.type) {
      case "chat.history":
        if (frame.ref === null || frame.ref === undefined) showHistory(frame);
        else showOlder(frame);
        break;
      case "chat.message":
        showMessage(frame.message);
        if (state.lastHidden === frame.message.id) showNotice(strings.restored, null);
        break;
      case "chat.removed":
        removeMessage(frame.id);
        break;
      case "chat.settings":
        showSettings(frame.slow_mode_seconds, frame.mode);
        break;
      case "chat.notice":
        showAuthorNotice(frame);
        break;
      case "chat.reactions":
        showReactions(frame);
        break;
      case "chat.transparency":
        showTransparency(frame.transparency);
        break;
      case "chat.restriction":
        setRestriction(frame.restriction, { live: true });
        break;
      case "chat.queue":
        queue?.show(frame.items || []);
        break;
      case "chat.queued":
        queue?.queued(frame.item);
        break;
      case "chat.unqueued":
        queue?.unqueued(frame.id);
        break;
      case "bridge.status":
        showBridgeStatus(frame);
        break;
      default:
        break;
    }
  }

  // The room opens or closes (`room.status`): the composer follows, for those
  // who may post at all (logged in: the form is there).
  function roomStatus(open) {
    const canPost = Boolean(open && form);
    if (canPost === state.canPost) return;
    state.canPost = canPost;
    refreshChrome();
  }

  function connection(status) {
    composer?.connection(status);
  }

  // The role="status" line reads itself out: no call to announce() as well.
  function showAuthorNotice(frame) {
    const reason = String(frame.reason ?? "").trim();
    if (frame.status === "pending" && frame.message) {
      // Shown to its author only, marked as waiting, until it is approved or refused.
      if (!entries.has(frame.id) || entries.get(frame.id).pending) {
        showMessage(frame.message, { pending: true });
      }
      return;
    }
    if (!["pending", "hidden", "rejected"].includes(frame.status)) return;
    removeMessage(frame.id);
    if (frame.status === "pending") {
      statusLine.textContent = strings.heldYours; // held for review after reports
    } else if (frame.status === "rejected") {
      statusLine.textContent = reason ? format(strings.rejectedYoursReason, { reason }) : strings.rejectedYours;
    } else {
      statusLine.textContent = reason ? format(strings.hiddenYoursReason, { reason }) : strings.hiddenYours;
    }
  }

  // -- filtering by hashtag and agenda item ----------------------------------------

  function matchesFilter(li) {
    return (state.filter === null || li.dataset.tags.split(" ").includes(state.filter))
      && (state.item === null || li.dataset.item === state.item);
  }

  function applyFilters() {
    keepingPlace(() => {
      for (const { li } of entries.values()) li.hidden = !matchesFilter(li);
    });
    showNoneShown();
    clearUnseen();
    scrollToBottom();
  }

  function setItem(item) {
    state.item = item;
    applyFilters();
  }

  function setFilter(tag, label) {
    state.filter = tag;
    applyFilters();
    for (const button of list.querySelectorAll(".chat-msg__hashtag")) {
      button.setAttribute("aria-pressed", String(button.dataset.tag === tag));
    }
    filterBar.hidden = tag === null;
    filterLabel.textContent = tag === null ? "" : format(strings.filtered, { tag: label });
    announce(tag === null ? strings.unfiltered : filterLabel.textContent);
  }

  // -- posting ---------------------------------------------------------------------

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
      nearLimit: 50,
      frame: (post) => ({
        type: "chat.post",
        text: post.text,
        client_id: post.clientId,
        reply_to: post.context.replyTo,
        share: post.context.share,
      }),
      context: postContext,
      onSent: (post) => {
        if (state.replyTo && state.replyTo.id === post.context.replyTo) cancelReply(false);
        // Going out under the hashtag is chosen message by message.
        if (shareBox && post.context.share) shareBox.checked = false;
      },
    })
    : null;

  // What a post is besides its text: the message it replies to, and whether it
  // should go out under the hashtag. The composer sends a post again with the same
  // client id only when its text and context are the same object: the same
  // choices give back the last context.
  let lastContext = null;
  function postContext() {
    const replyTo = state.replyTo ? state.replyTo.id : null;
    // Moderators send their messages out with the message's own button instead.
    const share = Boolean(canShare && shareBox && shareBox.checked && !state.canModerate);
    if (!lastContext || lastContext.replyTo !== replyTo || lastContext.share !== share) {
      lastContext = Object.freeze({ replyTo, share });
    }
    return lastContext;
  }

  function startReply(entry) {
    const name = authorName(entry.message);
    state.replyTo = { id: entry.message.id, name };
    replyingLabel.textContent = format(strings.replyingTo, { name });
    replying.hidden = false;
    input.focus();
  }

  function cancelReply(moveFocus) {
    if (!replying || state.replyTo === null) return;
    state.replyTo = null;
    const hadFocus = replying.contains(document.activeElement);
    replying.hidden = true;
    replyingLabel.textContent = "";
    if (moveFocus || hadFocus) input.focus();
  }

  // -- other actions ---------------------------------------------------------------

  function act(frame) {
    alertLine.textContent = "";
    return socket.request(frame).catch((error) => {
      alertLine.textContent = error.message || strings.disconnected;
      throw error;
    });
  }

  // One small form at a time below the log (report) or in the moderation panel
  // (hide, sanction): opening one closes the others.
  function closeForms() {
    closeHideForm(false);
    closeReportForm(false);
    closeSanctionForm(false);
  }

  function openHideForm(entry) {
    closeForms();
    state.hiding = { id: entry.message.id, name: authorName(entry.message) };
    hideTitle.textContent = format(strings.hide, { name: state.hiding.name });
    hideReason.value = "";
    hideGround.selectedIndex = 0;
    hideForm.hidden = false;
    hideGround.focus();
  }

  function closeHideForm(returnFocus) {
    if (!hideForm || state.hiding === null) return;
    const id = state.hiding.id;
    const hadFocus = hideForm.contains(document.activeElement);
    state.hiding = null;
    hideForm.hidden = true;
    if (returnFocus) {
      const button = entries.get(id)?.li.querySelector('[data-action="hide"]');
      if (button) button.focus();
      else log.focus();
    } else if (hadFocus) {
      log.focus();
    }
  }

  // Focus goes back to the button that opened a form, or to the log when the
  // message has gone meanwhile.
  function backTo(id, action) {
    const button = entries.get(id)?.li.querySelector(`[data-action="${action}"]`);
    if (button && !button.hidden) button.focus();
    else log.focus();
  }

  function openReportForm(entry) {
    closeForms();
    state.reporting = { id: entry.message.id, name: authorName(entry.message) };
    reportTitle.textContent = format(strings.report, { name: state.reporting.name });
    reportGround.selectedIndex = 0;
    reportForm.hidden = false;
    reportGround.focus();
  }

  function closeReportForm(returnFocus) {
    if (!reportForm || state.reporting === null) return;
    const id = state.reporting.id;
    const hadFocus = reportForm.contains(document.activeElement);
    state.reporting = null;
    reportForm.hidden = true;
    if (returnFocus) backTo(id, "report");
    else if (hadFocus) log.focus();
  }

  function openSanctionForm(entry, minutes) {
    closeForms();
    const name = authorName(entry.message);
    state.sanctioning = { id: entry.message.id, user: entry.message.author.id, name, minutes };
    sanctionTitle.textContent = format(minutes ? strings.timeout : strings.ban, { name });
    sanctionSubmit.textContent = minutes ? strings.timeoutSubmit : strings.banSubmit;
    sanctionReason.value = "";
    sanctionForm.hidden = false;
    sanctionReason.focus();
  }

  function closeSanctionForm(returnFocus) {
    if (!sanctionForm || state.sanctioning === null) return;
    const { id, minutes } = state.sanctioning;
    const hadFocus = sanctionForm.contains(document.activeElement);
    state.sanctioning = null;
    sanctionForm.hidden = true;
    if (returnFocus) backTo(id, minutes ? "timeout" : "ban");
    else if (hadFocus) log.focus();
  }

  // Show a sanction (or its end) on every message of that author, in place.
  function showSanctioned(user, kind) {
    if (kind) state.sanctioned.set(user, kind);
    else state.sanctioned.delete(user);
    for (const entry of entries.values()) {
      if (entry.message.author.id === user) updateActions(entry.li, entry.message, entry.pending);
    }
  }

  function lift(user, name) {
    return act({ type: "chat.lift", user }).then(() => {
      showSanctioned(user, null);
      showNotice(format(strings.liftDone, { name }), null);
    });
  }

  // The moderators' notice line; `undo` is what its "Undo" button does, if any.
  function showNotice(text, undo) {
    if (!notice) return;
    notice.hidden = false;
    noticeText.textContent = text;
    const undoHadFocus = document.activeElement === undoButton;
    undoButton.hidden = !undo;
    state.undo = undo;
    state.lastHidden = null;
    if (undoHadFocus && !undo) log.focus();
    announce(text);
  }

  // A moderator sends a message of the room out under the hashtag (bridge.send).
  function sendOutMessage(frame) {
    return act(frame).then(() => {
      state.sentOut.add(frame.id);
      showNotice(format(bridge.sendOutDone, { tag: hashtag }), null);
    });
  }

  // The bridge's state on the moderators' console; a network that stops (its
  // credentials were refused) is announced, the rest is only shown.
  function showBridgeStatus(frame) {
    if (!bridgeSection) return;
    const networks = frame.networks || [];
    bridgeSection.hidden = networks.length === 0;
    const tags = (frame.hashtags || []).map((tag) => `#${tag}`).join(" ") || `#${hashtag}`;
    bridgeHeading.textContent = format(bridge.heading, { tags });
    renderBridgeStatus(bridgeList, { ...frame, networks }, bridge, clock);
    const stopped = new Set(networks.filter((n) => n.stopped).map((n) => n.network));
    if (state.bridgeStopped) {
      networks.forEach((network, index) => {
        if (network.stopped && !state.bridgeStopped.has(network.network)) {
          announce(bridgeList.children[index].textContent);
        }
      });
    }
    state.bridgeStopped = stopped;
  }

  function loadOlder() {
    if (state.loadingOlder || entries.size === 0) return;
    const oldest = Number(list.firstElementChild.dataset.id);
    state.loadingOlder = true;
    olderButton.setAttribute("aria-busy", "true");
    act({ type: "chat.older", before: oldest })
      .catch(() => {})
      .finally(() => {
        state.loadingOlder = false;
        olderButton.removeAttribute("aria-busy");
        // The button goes when nothing older is left: do not leave focus nowhere.
        if (olderButton.hidden && document.activeElement === document.body) log.focus();
      });
  }

  // A note-taker quotes a message into the minutes: minutes.js inserts it in
  // their own editor, as plain text with its author, time and agenda item.
  function quoteInMinutes(message) {
    document.dispatchEvent(new CustomEvent("minutes:quote", {
      detail: {
        kind: "message",
        text: message.text,
        author: authorName(message),
        time: message.created_at,
        item: message.agenda_item,
      },
    }));
  }

  // -- wiring ----------------------------------------------------------------------

  list.addEventListener("click", (event) => {
    const row = event.target.closest('[data-field="reactions"]');
    if (row) {
      const id = Number(row.closest("li").dataset.id);
      const entry = entries.get(id);
      if (entry) reactions.click(event.target, row, entry.message, () => renderReactions(id));
      return;
    }
    const hashtag = event.target.closest(".chat-msg__hashtag");
    if (hashtag) {
      const tag = hashtag.dataset.tag;
      if (state.filter === tag) setFilter(null, "");
      else setFilter(tag, hashtag.textContent);
      hashtag.focus();
      return;
    }
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const entry = entries.get(Number(button.closest("li").dataset.id));
    if (!entry) return;
    switch (button.dataset.action) {
      case "reply":
        if (form) startReply(entry);
        break;
      case "quote":
        quoteInMinutes(entry.message);
        break;
      case "delete":
        act({ type: "chat.delete", id: entry.message.id }).catch(() => {});
        break;
      case "hide":
        if (hideForm) openHideForm(entry);
        break;
      case "report":
        if (reportForm && !state.reported.has(entry.message.id)) openReportForm(entry);
        break;
      case "timeout":
        if (sanctionForm) openSanctionForm(entry, TIMEOUT_MINUTES);
        break;
      case "ban":
        if (sanctionForm) openSanctionForm(entry, null);
        break;
      case "lift":
        lift(entry.message.author.id, authorName(entry.message)).catch(() => {});
        break;
      default:
        break;
    }
  });

  list.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const row = event.target.closest('[data-field="reactions"]');
    if (row && row.querySelector("[aria-expanded='true']")) {
      event.preventDefault();
      reactions.openPicker(row, false);
    }
  });

  $("[data-chat-clear-filter]").addEventListener("click", () => {
    setFilter(null, "");
    log.focus();
  });

  // The select's own value is what a screen reader reads: changing it moves nothing.
  for (const [id, title] of agendaTitles()) itemFilter.add(new Option(title, String(id)));
  itemFilterRow.hidden = itemFilter.options.length <= 1;
  itemFilter.addEventListener("change", () => setItem(itemFilter.value || null));

  olderButton.addEventListener("click", loadOlder);

  newButton.addEventListener("click", () => {
    clearUnseen();
    scrollToBottom(true);
    log.focus({ preventScroll: true });
  });

  log.addEventListener("scroll", () => {
    if (state.unseen > 0 && atBottom()) clearUnseen();
  });

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      composer.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey
          && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        composer.submit();
      } else if (event.key === "Escape" && state.replyTo) {
        cancelReply(true);
      }
    });
    $("[data-chat-cancel-reply]").addEventListener("click", () => cancelReply(true));
  }

  if (reportForm) {
    reportForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (state.reporting === null) return;
      const { id } = state.reporting;
      act({ type: "chat.report", id, ground: reportGround.value })
        .then(() => {
          state.reported.add(id);
          const entry = entries.get(id);
          if (entry) updateActions(entry.li, entry.message, entry.pending);
          closeReportForm(true);
          statusLine.textContent = strings.reportSent;
        })
        .catch(() => {});
    });
    reportForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeReportForm(true);
    });
    $("[data-chat-report-cancel]").addEventListener("click", () => closeReportForm(true));
  }

  if (moderation) {
    slowForm.addEventListener("submit", (event) => {
      event.preventDefault();
      act({ type: "chat.slow_mode", seconds: Number(slowSelect.value) }).catch(() => {});
    });
    hideForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (state.hiding === null) return;
      const id = state.hiding.id;
      act({ type: "chat.hide", id, ground: hideGround.value, reason: hideReason.value })
        .then(() => {
          closeHideForm(false);
          showNotice(strings.hidden, () => act({ type: "chat.unhide", id }));
          state.lastHidden = id;
          undoButton.focus();
        })
        .catch(() => {});
    });
    hideForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeHideForm(true);
    });
    $("[data-chat-hide-cancel]").addEventListener("click", () => closeHideForm(true));
    sanctionForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (state.sanctioning === null) return;
      const { user, name, minutes } = state.sanctioning;
      act({ type: "chat.sanction", user, minutes, reason: sanctionReason.value })
        .then(() => {
          closeSanctionForm(false);
          showSanctioned(user, minutes ? "timeout" : "ban");
          showNotice(format(minutes ? strings.timeoutDone : strings.banDone, { name }), () => lift(user, name));
          undoButton.focus();
        })
        .catch(() => {});
    });
    sanctionForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeSanctionForm(true);
    });
    $("[data-chat-sanction-cancel]").addEventListener("click", () => closeSanctionForm(true));
    undoButton.addEventListener("click", () => {
      if (state.undo) Promise.resolve(state.undo()).catch(() => {});
    });
  }

  return { apply, roomStatus, connection };
}
