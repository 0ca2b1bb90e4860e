// The projector view for the hall: follows the session's socket and shows the
// question on screen and the five most supported open questions.
//
// It reads the frames it needs (`session.state`, `agenda.current`, `question.list`,
// `question.updated`) and ignores the others. Only open and on-screen questions
// are shown: a moderator's socket also receives pending ones, which must never
// reach the hall. Question text is set with textContent only.
//
// Every word comes from templates/livechat/projector.html, so it is translated.

import { RoomSocket } from "./room-socket.js";
import { format } from "./text.js";

const TOP = 5;
const LONG_QUESTION = 160; // characters from which the question on screen is set smaller
const SHOWN = new Set(["open", "on_screen"]);

const root = document.querySelector("[data-projector]");
const config = JSON.parse(document.getElementById("projector-config").textContent);
const strings = {};
for (const span of root.querySelector("template[data-projector-strings]").content.children) {
  strings[span.dataset.key] = span.textContent.trim();
}
const entryTemplate = root.querySelector("template[data-projector-top-item]").content
  .firstElementChild;

const $ = (selector) => root.querySelector(selector);
const title = $("[data-projector-title]");
const itemLine = $("[data-projector-item-line]");
const itemTitle = $("[data-projector-item]");
const connection = $("[data-projector-connection]");
const question = $("[data-projector-question]");
const questionText = $("[data-projector-question-text]");
const questionAuthor = $("[data-projector-question-author]");
const questionVotes = $("[data-projector-question-votes]");
const noQuestion = $("[data-projector-no-question]");
const top = $("[data-projector-top]");
const topEmpty = $("[data-projector-top-empty]");

const plural = new Intl.PluralRules(document.documentElement.lang || undefined);
const questions = new Map(); // id -> question, open or on screen
let agenda = new Map(); // item id -> title
let onScreenId = null;

// French sets a narrow no-break space before ? ! : ; so that, in large type, the
// mark never starts a line by itself.
const french = (document.documentElement.lang || "").startsWith("fr");
function typeset(text) {
  return french ? text.replace(/[ \u00a0]+([?!:;»])/g, "\u202f$1") : text;
}

function voteLabel(votes) {
  const key = plural.select(votes) === "one" ? "voteOne" : "voteOther";
  return format(strings[key], { count: votes });
}

function authorName(entry) {
  return entry.author.name || strings.formerParticipant;
}

function showItem(itemId, itemName) {
  itemLine.hidden = itemId === null;
  itemTitle.textContent = itemId === null ? "" : (itemName ?? agenda.get(itemId) ?? "");
}

function showOnScreen(current) {
  // Rewrite the text only when another question comes on screen, so that a new
  // vote count does not make screen readers read the question out again.
  if ((current?.id ?? null) !== onScreenId) {
    onScreenId = current?.id ?? null;
    question.hidden = current === undefined;
    noQuestion.hidden = current !== undefined;
    questionText.textContent = current ? typeset(current.text) : "";
    questionAuthor.textContent = current ? authorName(current) : "";
    question.classList.toggle(
      "projector__question--long",
      Boolean(current) && current.text.length > LONG_QUESTION,
    );
  }
  questionVotes.textContent = current ? voteLabel(current.votes) : "";
}

function showTop(open) {
  const entries = open.slice(0, TOP).map((entry) => {
    const li = entryTemplate.cloneNode(true);
    li.querySelector('[data-field="text"]').textContent = typeset(entry.text);
    li.querySelector('[data-field="author"]').textContent = authorName(entry);
    li.querySelector('[data-field="votes"]').textContent = voteLabel(entry.votes);
    return li;
  });
  top.replaceChildren(...entries);
  topEmpty.hidden = entries.length > 0;
}

function render() {
  const all = [...questions.values()];
  // At most one is on screen; should two ever be, show the latest.
  const current = all.filter((entry) => entry.status === "on_screen").sort((a, b) => b.id - a.id)[0];
  const open = all
    .filter((entry) => entry.status === "open")
    .sort((a, b) => b.votes - a.votes || a.id - b.id);
  showOnScreen(current);
  showTop(open);
}

function keep(entry) {
  if (SHOWN.has(entry.status)) questions.set(entry.id, entry);
  else questions.delete(entry.id);
}

function apply(frame) {
  switch (frame.type) {
    case "session.state":
      agenda = new Map(frame.agenda.map((item) => [item.id, item.title]));
      title.textContent = frame.title;
      showItem(frame.current_item, null);
      break;
    case "agenda.current":
      showItem(frame.item, frame.title);
      break;
    case "question.list":
      questions.clear();
      for (const entry of frame.questions) keep(entry);
      render();
      break;
    case "question.updated":
      keep(frame.question);
      render();
      break;
    default:
      break; // the chat, the console's replies: not for the hall
  }
}

function showConnection(status) {
  root.dataset.socket = status;
  // Kept in the accessibility tree (only visually hidden while connected), so that
  // its text is announced when it changes.
  connection.classList.toggle("visually-hidden", status === "open");
  connection.textContent = status === "open" ? "" : (strings[status] ?? strings.reconnecting);
}

const socket = new RoomSocket(config.socket, { onFrame: apply, onStatus: showConnection });
socket.connect();
