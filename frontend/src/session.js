// The session page: follows the session's socket and keeps the page in step.
//
// The page is rendered complete by the server; this module only updates what
// changes live (status, current agenda item) and sends the organiser console's
// actions over the socket. Without JavaScript the console's forms still work.
// The chat's frames (and the hashtag bridge's) go to chat.js and the questions'
// to questions.js, which share this page's one socket; `room.status` opens and
// closes their composers.

import { createChat } from "./chat.js";
import { createPlayer } from "./player.js";
import { createQuestions } from "./questions.js";
import { RoomSocket } from "./room-socket.js";
import { format } from "./text.js";

const root = document.querySelector("[data-session-page]");
const config = JSON.parse(document.getElementById("session-config").textContent);
const strings = JSON.parse(document.getElementById("session-strings").textContent);

const announcer = root.querySelector("[data-announcer]");
const connection = root.querySelector("[data-connection]");
const feedback = root.querySelector("[data-console-feedback]");
let state = { status: root.dataset.status, currentItem: null, titles: new Map() };
let synced = false;

let announcements = [];

function announce(text) {
  // Sentences that arrive together ("the session has started", "now: item 1") are
  // read together: a second one set in the same tick would replace the first.
  // Clearing first makes the same sentence twice be read twice.
  announcements.push(text);
  if (announcements.length > 1) return;
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = announcements.join(" ");
    announcements = [];
  }, 100);
}

function keepFocusUsable() {
  // A console button that was just pressed may now be disabled: move focus to the
  // next action that can be taken rather than let it fall back to the page.
  const focused = document.activeElement;
  if (!(focused instanceof HTMLButtonElement) || !focused.disabled) return;
  const next = root.querySelector("[data-console-action] button:not(:disabled)");
  (next ?? root.querySelector("#console-heading"))?.focus();
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
    button.disabled = button.dataset.requiresStatus !== status || button.dataset.pending === "1";
  }
  keepFocusUsable();
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
  for (const input of root.querySelectorAll("input[name='after']")) {
    input.value = itemId ?? "";
  }
  const line = root.querySelector("[data-current-item-line]");
  const label = title ?? state.titles.get(itemId) ?? "";
  line.hidden = itemId === null;
  line.querySelector("[data-current-item-title]").textContent = label;
  if (synced && changed && itemId !== null) {
    announce(format(strings.announce.item, { title: label }));
  }
}

// The server's word on whether the room takes posts (its pre-opening and grace
// period included): the composers and the "enter the room" button follow.
function showRoom(room) {
  chat.roomStatus(room.open);
  questions.roomStatus(room.open);
  player.room(room);
}

function apply(frame) {
  switch (frame.type) {
    case "session.state":
      state.titles = new Map(frame.agenda.map((item) => [item.id, item.title]));
      showStatus(frame.status);
      showCurrentItem(frame.current_item, null);
      showRoom(frame.room);
      synced = true;
      break;
    case "session.status":
      showStatus(frame.status);
      break;
    case "room.status":
      showRoom(frame);
      break;
    case "agenda.current":
      showCurrentItem(frame.item, frame.title);
      break;
    default:
      // The bridge's state shows on the chat's moderation console.
      if (frame.type.startsWith("chat.") || frame.type.startsWith("bridge.")) chat.apply(frame);
      else if (frame.type.startsWith("question.")) questions.apply(frame);
      else if (frame.type.startsWith("stream.") || frame.type.startsWith("presence.")) {
        player.apply(frame);
      }
      break;
  }
}

function showConnection(status) {
  root.dataset.socket = status;
  chat.connection(status);
  questions.connection(status);
  // The status line stays in the accessibility tree (only visually hidden while
  // connected), so that screen readers announce its text when it changes.
  connection.classList.toggle("visually-hidden", status === "open");
  connection.textContent = status === "open" ? "" : (strings[status] ?? strings.reconnecting);
}

const socket = new RoomSocket(config.socket, { onFrame: apply, onStatus: showConnection });
const chat = createChat(root.querySelector("[data-chat]"), socket, { announce });
const questions = createQuestions(root.querySelector("[data-questions]"), socket, { announce });
const player = createPlayer(root, socket, { announce });

for (const form of root.querySelectorAll("[data-console-action]")) {
  form.addEventListener("submit", async (event) => {
    if (!socket.open) return; // fall back to the plain form post
    event.preventDefault();
    const frame = { type: form.dataset.consoleAction };
    if (form.dataset.item) frame.item = Number(form.dataset.item);
    if (frame.type === "agenda.advance" && state.currentItem !== null) {
      frame.after = state.currentItem; // a second press moves nothing
    }
    const button = form.querySelector("button");
    button.dataset.pending = "1";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    feedback.textContent = "";
    try {
      await socket.request(frame);
    } catch (error) {
      feedback.textContent = error.message || strings.reconnecting;
    } finally {
      delete button.dataset.pending;
      button.removeAttribute("aria-busy");
      button.disabled = button.dataset.requiresStatus !== state.status;
      keepFocusUsable();
    }
  });
}

showStatus(state.status);
socket.connect();
