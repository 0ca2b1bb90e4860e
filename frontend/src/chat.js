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
//
// Every word comes from templates/livechat/fragment_chat.html, so it is translated.

import { agendaTitles } from "./questions.js";
import { format, INERT, randomId, timeFormat } from "./text.js";

const CAP = 500;
const NEAR_BOTTOM = 48; // pixels from the bottom that still count as "at the bottom"
const CLOSED_STATUSES = new Set(["ended", "cancelled"]);

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
  const messageTemplate = $("template[data-chat-message-template]").content.firstElementChild;

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

  const form = $("[data-chat-form]");
  const input = $("[data-chat-input]");
  const count = $("[data-chat-count]");
  const remaining = $("[data-chat-remaining]");
  const slowLine = $("[data-chat-slow]");
  const errorLine = $("[data-chat-error]");
  const sendButton = $("[data-chat-send]");
  const replying = $("[data-chat-replying]");
  const replyingLabel = $("[data-chat-replying-label]");
  const closed = $("[data-chat-closed]");

  const moderation = $("[data-chat-moderation]");
  const slowForm = $("[data-chat-slow-form]");
  const slowSelect = $("[data-chat-slow-select]");
  const hideForm = $("[data-chat-hide-form]");
  const hideTitle = $("[data-chat-hide-title]");
  const hideReason = $("[data-chat-hide-reason]");
  const notice = $("[data-chat-notice]");
  const noticeText = $("[data-chat-notice-text]");
  const undoButton = $("[data-chat-undo]");

  const userId = root.dataset.userId || null;
  const maxLength = Number(root.dataset.maxLength) || 500;
  const lang = document.documentElement.lang || undefined;
  const clock = timeFormat(lang, root.dataset.timeZone);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  const entries = new Map(); // message id -> { message, li }
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
    pending: null, // { text, clientId, replyTo }: a post not yet acknowledged
    waitingForSocket: false,
    sending: false,
    loadingOlder: false,
    hiding: null, // { id, name } while the hide form is open
    lastHidden: null, // id of the message this moderator hid last (for "Undo")
  };

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

  function authorName(message) {
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

  function build(message) {
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
    if (message.author.badge) li.classList.add(`chat-msg--${message.author.badge}`);

    field("author").textContent = name;
    const badgeText = strings[message.author.badge];
    if (message.author.badge && badgeText) {
      const badge = field("badge");
      badge.textContent = badgeText;
      badge.hidden = false;
    }
    const time = field("time");
    const created = new Date(message.created_at);
    time.dateTime = message.created_at;
    time.textContent = Number.isNaN(created.getTime()) ? "" : clock.format(created);

    if (message.reply_to) {
      field("quote").hidden = false;
      field("quote-label").textContent = format(strings.inReplyTo, {
        name: message.reply_to.author || strings.formerParticipant,
      });
      field("quote-text").textContent = message.reply_to.excerpt;
    }
    appendTokens(field("text"), message);

    const reply = li.querySelector('[data-action="reply"]');
    reply.setAttribute("aria-label", format(strings.reply, { name }));
    const remove = li.querySelector('[data-action="delete"]');
    remove.hidden = !mine;
    remove.setAttribute("aria-label", format(strings.delete, { time: time.textContent }));
    const hide = li.querySelector('[data-action="hide"]');
    hide.hidden = mine;
    hide.setAttribute("aria-label", format(strings.hide, { name }));

    li.hidden = !matchesFilter(li);
    return li;
  }

  // -- the list --------------------------------------------------------------------

  // Put a message in its place by id; returns true when it was not shown before.
  function place(message) {
    const li = build(message);
    const existing = entries.get(message.id);
    entries.set(message.id, { message, li });
    if (existing) {
      const focused = existing.li.contains(document.activeElement)
        ? document.activeElement.dataset.action
        : null;
      existing.li.replaceWith(li);
      if (focused) li.querySelector(`[data-action="${focused}"]`)?.focus();
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
    root.toggleAttribute("data-can-post", state.canPost);
    root.toggleAttribute("data-can-moderate", state.canModerate);
    if (form) {
      form.hidden = !state.synced || !state.canPost;
      closed.hidden = !state.synced || state.canPost;
      if (!state.canPost) cancelReply(false);
    }
    if (moderation) moderation.hidden = !state.canModerate;
    showSlowMode();
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
    quietly(() => {
      for (const { li } of entries.values()) li.remove();
      entries.clear();
      for (const message of frame.messages) place(message);
      trim();
    });
    state.synced = true;
    clearUnseen();
    refreshChrome();
    scrollToBottom();
  }

  function showOlder(frame) {
    const room = Math.max(0, CAP - entries.size);
    // Oldest first: when they do not all fit, keep the newest ones.
    const messages = frame.messages.slice(Math.max(0, frame.messages.length - room));
    quietly(() => {
      keepingPlace(() => {
        for (const message of messages) place(message);
      }, { followBottom: false });
    });
    state.hasMore = Boolean(frame.has_more) || messages.length < frame.messages.length;
    refreshChrome();
  }

  function showMessage(message) {
    const wasAtBottom = atBottom();
    let added = false;
    keepingPlace(() => {
      added = place(message);
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

  function showSettings(seconds) {
    const changed = state.slowMode !== seconds;
    state.slowMode = seconds;
    showSlowMode();
    if (changed && state.synced) {
      announce(seconds > 0 ? format(strings.slowMode, { seconds }) : strings.slowModeOff);
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
        if (state.lastHidden === frame.message.id) showNotice(strings.restored, false);
        break;
      case "chat.removed":
        removeMessage(frame.id);
        break;
      case "chat.settings":
        showSettings(frame.slow_mode_seconds);
        break;
      case "chat.notice":
        showAuthorNotice(frame);
        break;
      default:
        break;
    }
  }

  function sessionStatus(status) {
    if (CLOSED_STATUSES.has(status) && state.canPost) {
      state.canPost = false;
      refreshChrome();
    }
  }

  function connection(status) {
    if (status === "open" && state.pending && state.waitingForSocket) {
      send(state.pending);
    }
  }

  // The role="status" line reads itself out: no call to announce() as well.
  function showAuthorNotice(frame) {
    if (frame.status !== "hidden") return;
    const reason = String(frame.reason ?? "").trim();
    statusLine.textContent = reason
      ? format(strings.hiddenYoursReason, { reason })
      : strings.hiddenYours;
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

  function showCount() {
    const length = input.value.length;
    count.textContent = format(strings.count, { count: length, max: maxLength });
  }

  // Read the remaining characters out only near the limit, and once typing pauses.
  let remainingTimer = null;
  function announceRemaining() {
    window.clearTimeout(remainingTimer);
    remainingTimer = window.setTimeout(() => {
      const left = maxLength - input.value.length;
      remaining.textContent = left <= 50 ? format(strings.remaining, { remaining: left }) : "";
    }, 800);
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

  function send(post) {
    state.pending = post;
    state.waitingForSocket = false;
    state.sending = true;
    sendButton.setAttribute("aria-busy", "true");
    errorLine.textContent = "";
    socket
      .request({
        type: "chat.post",
        text: post.text,
        client_id: post.clientId,
        reply_to: post.replyTo,
      })
      .then(() => {
        state.pending = null;
        if (input.value === post.text) {
          input.value = "";
          showCount();
          remaining.textContent = "";
        }
        if (state.replyTo && state.replyTo.id === post.replyTo) cancelReply(false);
      })
      .catch((error) => {
        if (error.code === "disconnected") {
          // Sent again with the same client_id once the socket is back: stored once.
          state.waitingForSocket = true;
          errorLine.textContent = strings.willRetry;
        } else {
          state.pending = null;
          errorLine.textContent = error.message || strings.disconnected;
        }
      })
      .finally(() => {
        state.sending = false;
        sendButton.removeAttribute("aria-busy");
      });
  }

  function submit() {
    if (state.sending) return;
    const text = input.value;
    const replyTo = state.replyTo ? state.replyTo.id : null;
    const pending = state.pending;
    const post =
      pending && pending.text === text && pending.replyTo === replyTo
        ? pending
        : { text, clientId: randomId(), replyTo };
    send(post);
  }

  // -- other actions ---------------------------------------------------------------

  function act(frame) {
    alertLine.textContent = "";
    return socket.request(frame).catch((error) => {
      alertLine.textContent = error.message || strings.disconnected;
      throw error;
    });
  }

  function openHideForm(entry) {
    state.hiding = { id: entry.message.id, name: authorName(entry.message) };
    hideTitle.textContent = format(strings.hide, { name: state.hiding.name });
    hideReason.value = "";
    hideForm.hidden = false;
    hideReason.focus();
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

  function showNotice(text, canUndo) {
    if (!notice) return;
    notice.hidden = false;
    noticeText.textContent = text;
    const undoHadFocus = document.activeElement === undoButton;
    undoButton.hidden = !canUndo;
    if (!canUndo) state.lastHidden = null;
    if (undoHadFocus && !canUndo) log.focus();
    announce(text);
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

  // -- wiring ----------------------------------------------------------------------

  list.addEventListener("click", (event) => {
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
      case "delete":
        act({ type: "chat.delete", id: entry.message.id }).catch(() => {});
        break;
      case "hide":
        if (hideForm) openHideForm(entry);
        break;
      default:
        break;
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
      submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey
          && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        submit();
      } else if (event.key === "Escape" && state.replyTo) {
        cancelReply(true);
      }
    });
    input.addEventListener("input", () => {
      showCount();
      announceRemaining();
    });
    $("[data-chat-cancel-reply]").addEventListener("click", () => cancelReply(true));
    showCount();
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
      act({ type: "chat.hide", id, reason: hideReason.value })
        .then(() => {
          closeHideForm(false);
          state.lastHidden = id;
          showNotice(strings.hidden, true);
          undoButton.focus();
        })
        .catch(() => {});
    });
    hideForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeHideForm(true);
    });
    $("[data-chat-hide-cancel]").addEventListener("click", () => closeHideForm(true));
    undoButton.addEventListener("click", () => {
      if (state.lastHidden === null) return;
      act({ type: "chat.unhide", id: state.lastHidden }).catch(() => {});
    });
  }

  return { apply, sessionStatus, connection };
}
