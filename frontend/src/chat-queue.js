// The moderators' review queue of the chat: messages held for review (pre-moderation,
// blocked words, reports, imported posts) and published ones to review
// (post-moderation, reports), with what to do with each.
//
// Frames: `chat.queue` (the snapshot: replaces the list), `chat.queued` (insert or
// refresh by message id), `chat.unqueued` (the message left the queue, whoever
// acted). Actions: `chat.approve` (with `text` after an edit), `chat.reject`,
// `chat.hide`, each with a ground and a reason where it removes the message.
//
// Invariants:
// - Message text is shown as plain text (textContent): an unreviewed message's
//   links are not made clickable here.
// - An item is refreshed in place (a new report): an edit or a refusal being
//   written in it is kept. An item is only ever removed by the server
//   (`chat.unqueued`, or a snapshot without it), after whichever moderator acted.
// - Focus only moves when the user acts or when the item holding it leaves: then
//   to the next item, else the previous one, else the queue's heading.
// - New items are announced as one polite sentence per burst ("3 new messages to
//   review"), never one by one, and not at all for a snapshot.
//
// Words come from the chat's <template data-chat-strings> (keys `queue*`). An
// imported post shows its network, handle, content warning, media and original as
// in the chat (chat-bridge.js); an erased account's message its author as
// "deleted participant".

import { decorateImported, opensNewWindow } from "./chat-bridge.js";
import { format } from "./text.js";

const BURST = 1500; // ms during which new items are counted into one announcement

export function createQueue(root, { strings, act, announce, clock, plural, groundOptions, bridge }) {
  const section = root.querySelector("[data-chat-queue]");
  if (!section) return { show() {}, queued() {}, unqueued() {}, reset() {} };

  const list = section.querySelector("[data-chat-queue-list]");
  const heading = section.querySelector("#chat-queue-heading");
  const countBadge = section.querySelector("[data-chat-queue-count]");
  const empty = section.querySelector("[data-chat-queue-empty]");
  const alertLine = section.querySelector("[data-chat-queue-alert]");
  const template = root.querySelector("template[data-chat-queue-item-template]").content.firstElementChild;

  const entries = new Map(); // message id -> { item, li }
  const busy = new Set();
  let fresh = 0;
  let burstTimer = null;

  function pluralKey(stem, count) {
    return `${stem}${plural.select(count) === "one" ? "One" : "Other"}`;
  }

  function authorName(message) {
    if (message.author.id === null && !message.source) return strings.erasedParticipant;
    return message.author.name || strings.formerParticipant;
  }

  // -- rendering -------------------------------------------------------------------

  function why(item) {
    const lines = [];
    const held = item.status === "pending";
    if (item.held_for === "premoderation") lines.push(strings.queuePremoderation);
    if (item.held_for === "imported") lines.push(strings.queueImported);
    if (item.matched.length) {
      lines.push(format(strings.queueBlocked, { words: item.matched.join(", ") }));
    }
    if (item.held_for === "reports" && held) {
      lines.push(format(strings[pluralKey("queueHeld", item.reports)], { count: item.reports }));
    } else if (item.reports > 0) {
      lines.push(format(strings[pluralKey("queueReports", item.reports)], { count: item.reports }));
    }
    if (!held && !item.held_for && item.reports === 0 && !item.matched.length) {
      lines.push(strings.queuePostmoderation);
    }
    return lines;
  }

  function fill(li, item) {
    const field = (name) => li.querySelector(`[data-field="${name}"]`);
    const message = item.message;
    const visible = item.status === "visible";
    li.classList.toggle("chat-queue__item--visible", visible);
    field("status").textContent = visible ? strings.queueVisible : strings.queuePending;
    const reasons = field("why");
    reasons.replaceChildren(
      ...why(item).map((text) => {
        const entry = document.createElement("li");
        entry.textContent = text;
        return entry;
      }),
    );
    const approve = li.querySelector('[data-queue-action="approve"]');
    approve.textContent = visible ? strings.queueKeep : strings.queueApprove;
    li.querySelector('[data-queue-action="reject"]').hidden = visible;
    li.querySelector('[data-queue-action="hide"]').hidden = !visible;
    const removing = li.querySelector('[data-queue-form="remove"]');
    if (removing.hidden) removing.dataset.kind = visible ? "hide" : "reject";
    for (const button of li.querySelectorAll("[data-queue-action]")) {
      button.toggleAttribute("aria-busy", busy.has(message.id));
    }
  }

  function build(item) {
    const li = template.cloneNode(true);
    const field = (name) => li.querySelector(`[data-field="${name}"]`);
    const message = item.message;
    const base = `chat-queue-${message.id}`;
    li.id = base;
    li.dataset.id = String(message.id);
    field("author").textContent = authorName(message);
    const badgeText = strings[message.author.badge];
    if (message.author.badge && badgeText) {
      field("badge").textContent = badgeText;
      field("badge").hidden = false;
    }
    const time = field("time");
    const created = new Date(message.created_at);
    time.dateTime = message.created_at;
    time.textContent = Number.isNaN(created.getTime()) ? "" : clock.format(created);
    const text = field("text");
    text.id = `${base}-text`;
    text.textContent = message.text;
    for (const button of li.querySelectorAll("[data-queue-action]")) {
      button.setAttribute("aria-describedby", `${base}-meta ${base}-text`);
    }
    li.querySelector(".chat-queue__meta").id = `${base}-meta`;

    const editForm = li.querySelector('[data-queue-form="edit"]');
    editForm.id = `${base}-edit`;
    li.querySelector('[data-queue-action="edit"]').setAttribute("aria-controls", editForm.id);
    field("edit-label").htmlFor = `${base}-edit-text`;
    field("edit-text").id = `${base}-edit-text`;
    const removeForm = li.querySelector('[data-queue-form="remove"]');
    removeForm.id = `${base}-remove`;
    for (const action of ["reject", "hide"]) {
      li.querySelector(`[data-queue-action="${action}"]`).setAttribute("aria-controls", removeForm.id);
    }
    field("ground-label").htmlFor = `${base}-ground`;
    field("ground").id = `${base}-ground`;
    field("ground").append(...groundOptions());
    field("reason-label").htmlFor = `${base}-reason`;
    field("reason").id = `${base}-reason`;
    decorateImported(li, message, bridge);
    opensNewWindow(li, "chat-new-window");
    fill(li, item);
    return li;
  }

  function showCount() {
    countBadge.textContent = String(entries.size);
    empty.hidden = entries.size > 0;
  }

  function place(item) {
    const id = item.message.id;
    const existing = entries.get(id);
    if (existing) {
      existing.item = item;
      fill(existing.li, item);
      return false;
    }
    const li = build(item);
    entries.set(id, { item, li });
    let next = null;
    for (let el = list.lastElementChild; el; el = el.previousElementSibling) {
      if (Number(el.dataset.id) < id) break;
      next = el;
    }
    list.insertBefore(li, next);
    return true;
  }

  function remove(id) {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    busy.delete(id);
    const hadFocus = entry.li.contains(document.activeElement);
    const neighbour = entry.li.nextElementSibling ?? entry.li.previousElementSibling;
    entry.li.remove();
    if (hadFocus) (neighbour ?? heading).focus();
  }

  // -- frames ----------------------------------------------------------------------

  function show(items) {
    const ids = new Set(items.map((item) => item.message.id));
    for (const id of [...entries.keys()]) if (!ids.has(id)) remove(id);
    for (const item of items) place(item);
    showCount();
  }

  function queued(item) {
    if (place(item)) {
      fresh += 1;
      window.clearTimeout(burstTimer);
      burstTimer = window.setTimeout(() => {
        announce(format(strings[pluralKey("queueNew", fresh)], { count: fresh }));
        fresh = 0;
      }, BURST);
    }
    showCount();
  }

  function unqueued(id) {
    remove(id);
    showCount();
  }

  function reset() {
    show([]);
  }

  // -- actions ---------------------------------------------------------------------

  function run(id, frame) {
    if (busy.has(id)) return Promise.reject(new Error("busy"));
    busy.add(id);
    alertLine.textContent = "";
    const entry = entries.get(id);
    if (entry) fill(entry.li, entry.item);
    return act(frame)
      .catch((error) => {
        alertLine.textContent = error.message || strings.disconnected;
        throw error;
      })
      .finally(() => {
        busy.delete(id);
        const current = entries.get(id);
        if (current) fill(current.li, current.item);
      });
  }

  function openForm(li, name, opener) {
    for (const form of li.querySelectorAll("[data-queue-form]")) {
      form.hidden = form.dataset.queueForm !== name;
    }
    for (const button of li.querySelectorAll("[aria-expanded]")) {
      button.setAttribute("aria-expanded", String(button === opener));
    }
    const entry = entries.get(Number(li.dataset.id));
    if (name === "edit") {
      const text = li.querySelector('[data-field="edit-text"]');
      text.value = entry.item.message.text;
      text.focus();
    } else {
      const form = li.querySelector('[data-queue-form="remove"]');
      const hiding = opener.dataset.queueAction === "hide";
      form.dataset.kind = hiding ? "hide" : "reject";
      li.querySelector('[data-field="remove-submit"]').textContent = hiding
        ? strings.queueHide
        : strings.queueReject;
      li.querySelector('[data-field="reason"]').value = "";
      li.querySelector('[data-field="ground"]').focus();
    }
  }

  function closeForms(li, returnFocus) {
    let opener = null;
    for (const button of li.querySelectorAll("[aria-expanded='true']")) opener = button;
    for (const form of li.querySelectorAll("[data-queue-form]")) form.hidden = true;
    for (const button of li.querySelectorAll("[aria-expanded]")) button.setAttribute("aria-expanded", "false");
    if (returnFocus) (opener ?? li).focus();
  }

  list.addEventListener("click", (event) => {
    const li = event.target.closest("li[data-id]");
    if (!li) return;
    const id = Number(li.dataset.id);
    if (event.target.closest("[data-queue-cancel]")) {
      closeForms(li, true);
      return;
    }
    const button = event.target.closest("[data-queue-action]");
    if (!button || !entries.has(id)) return;
    switch (button.dataset.queueAction) {
      case "approve":
        closeForms(li, false);
        run(id, { type: "chat.approve", id }).catch(() => {});
        break;
      case "edit":
      case "reject":
      case "hide":
        if (button.getAttribute("aria-expanded") === "true") closeForms(li, true);
        else openForm(li, button.dataset.queueAction === "edit" ? "edit" : "remove", button);
        break;
      default:
        break;
    }
  });

  list.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const li = form.closest("li[data-id]");
    const id = Number(li.dataset.id);
    if (!entries.has(id)) return;
    let frame;
    if (form.dataset.queueForm === "edit") {
      frame = { type: "chat.approve", id, text: li.querySelector('[data-field="edit-text"]').value };
    } else {
      frame = {
        type: form.dataset.kind === "hide" ? "chat.hide" : "chat.reject",
        id,
        ground: li.querySelector('[data-field="ground"]').value,
        reason: li.querySelector('[data-field="reason"]').value,
      };
    }
    // The item leaves on `chat.unqueued`; focus then moves on to the next one.
    run(id, frame).catch(() => {});
  });

  list.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const li = event.target.closest("li[data-id]");
    if (li && event.target.closest("[data-queue-form]")) {
      event.preventDefault();
      closeForms(li, true);
    }
  });

  showCount();
  return { show, queued, unqueued, reset };
}
