// The session page: follows the session's socket and keeps the page in step.
//
// The page is rendered complete by the server; this module only updates what
// changes live (status, current agenda item) and sends the organiser console's
// actions over the socket. Without JavaScript the console's forms still work.

import { RoomSocket } from "./room-socket.js";

const root = document.querySelector("[data-session-page]");
const config = JSON.parse(document.getElementById("session-config").textContent);
const strings = JSON.parse(document.getElementById("session-strings").textContent);

const announcer = root.querySelector("[data-announcer]");
const connection = root.querySelector("[data-connection]");
const feedback = root.querySelector("[data-console-feedback]");
let state = { status: root.dataset.status, currentItem: null, titles: new Map() };
let synced = false;

function announce(text) {
  // Clear first so that the same sentence twice is read twice.
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

function showStatus(status) {
  const previous = state.status;
  state.status = status;
  root.dataset.status = status;
  for (const badge of root.querySelectorAll("[data-status-badge]")) {
    badge.textContent = strings.status[status] ?? status;
    badge.className = `badge badge--${status}`;
  }
  for (const message of root.querySelectorAll("[data-stage-message]")) {
    message.hidden = message.dataset.stageMessage !== status;
  }
  for (const button of root.querySelectorAll("[data-requires-status]")) {
    button.disabled = button.dataset.requiresStatus !== status;
  }
  if (synced && previous !== status && strings.announce[status]) {
    announce(strings.announce[status]);
  }
}

function showCurrentItem(itemId, title) {
  const changed = state.currentItem !== itemId;
  state.currentItem = itemId;
  for (const li of root.querySelectorAll(".agenda__item")) {
    const current = Number(li.dataset.item) === itemId;
    li.classList.toggle("agenda__item--current", current);
    if (current) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  const line = root.querySelector("[data-current-item-line]");
  const label = title ?? state.titles.get(itemId) ?? "";
  line.hidden = itemId === null;
  line.querySelector("[data-current-item-title]").textContent = label;
  if (synced && changed && itemId !== null) {
    announce(format(strings.announce.item, { title: label }));
  }
}

function apply(frame) {
  switch (frame.type) {
    case "session.state":
      state.titles = new Map(frame.agenda.map((item) => [item.id, item.title]));
      showStatus(frame.status);
      showCurrentItem(frame.current_item, null);
      synced = true;
      break;
    case "session.status":
      showStatus(frame.status);
      break;
    case "agenda.current":
      showCurrentItem(frame.item, frame.title);
      break;
    default:
      break;
  }
}

function showConnection(status) {
  root.dataset.socket = status;
  if (status === "open") {
    connection.hidden = true;
    connection.textContent = "";
    return;
  }
  connection.hidden = false;
  connection.textContent = strings[status] ?? strings.reconnecting;
}

const socket = new RoomSocket(config.socket, { onFrame: apply, onStatus: showConnection });

for (const form of root.querySelectorAll("[data-console-action]")) {
  form.addEventListener("submit", async (event) => {
    if (!socket.open) return; // fall back to the plain form post
    event.preventDefault();
    const frame = { type: form.dataset.consoleAction };
    if (form.dataset.item) frame.item = Number(form.dataset.item);
    const button = form.querySelector("button");
    button.setAttribute("aria-busy", "true");
    feedback.textContent = "";
    try {
      await socket.request(frame);
    } catch (error) {
      feedback.textContent = error.message || strings.reconnecting;
    } finally {
      button.removeAttribute("aria-busy");
    }
  });
}

showStatus(state.status);
socket.connect();
