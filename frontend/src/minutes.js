// The live minutes: a TipTap editor bound to a Yjs document synced with
// /ws/minutes/<session id>/ by y-websocket's WebsocketProvider.
//
// The server holds the authoritative document and wrote its skeleton (a heading
// per agenda item); this module never sets content itself. Note-takers and
// organisers edit, with each writer's caret in their colour and a list of who is
// writing; everyone else gets the same editor, read-only, following live.
// Offline, edits stay in the local Yjs document and merge when the provider
// reconnects (it resends what the server lacks in its sync step 2).
//
// The schema (minutes-schema.js) adds the blocks that tie the minutes to the
// session: decisions, actions with an owner and a due date, and broadcast times
// on paragraphs, which seek the replay. The decision register below the editor
// follows the document (minutes-register.js). Note-takers quote a chat message or
// a question into the minutes: chat.js and questions.js send a `minutes:quote`
// event, and this module inserts it in this writer's own editor, an ordinary edit.
// They see the "Quote in the minutes" buttons only while they can write here
// (the `data-minutes-quoting` attribute of the page, set below).

import { Editor } from "@tiptap/core";
import { IndexeddbPersistence } from "y-indexeddb";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

import {
  FRAGMENT_FIELD,
  formatTime,
  minutesExtensions,
  OWNER_MAX,
  parseTime,
  selectedParagraph,
  timesKey,
} from "./minutes-schema.js";
import { followRegister } from "./minutes-register.js";
import { format, timeFormat } from "./text.js";

// Close codes of the minutes socket (docs/protocol.md).
const READ_ONLY = 4403;
const NOT_FOUND = 4404;
const STATUS_CHANGED = 4409;
const BAD_FRAME = 4400;
const TOO_LARGE = 4413;

const root = document.querySelector("[data-minutes]");
if (root) start(root);

function start(root) {
  const config = JSON.parse(document.getElementById("minutes-config").textContent);
  const strings = JSON.parse(document.getElementById("minutes-strings").textContent);
  const connection = root.querySelector("[data-minutes-connection]");
  const writerList = root.querySelector("[data-minutes-writer-list]");
  const mount = root.querySelector("[data-minutes-editor]");

  const doc = new Y.Doc();
  keepLocalCopy(doc, config);
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // y-websocket connects to `${serverUrl}/${room}`: /ws/minutes/<id>/.
  const [base, room] = splitPath(config.socket);
  const provider = new WebsocketProvider(`${scheme}//${window.location.host}${base}`, room, doc, {
    // Tabs must not sync with each other behind the server's back: the server
    // decides what a reader may change.
    disableBc: true,
  });
  if (!config.canWrite) provider.awareness.setLocalState(null);

  const lang = document.documentElement.lang || "fr";
  const player = document.querySelector("[data-player]");
  const replaying = () => player?.dataset.streamStatus === "replay";
  const editor = new Editor({
    element: mount,
    editable: config.canWrite,
    extensions: minutesExtensions({
      strings,
      lang,
      replay: replaying,
      editable: config.canWrite,
      doc,
      provider: config.canWrite ? provider : null,
      user: config.user,
      caret,
    }),
    editorProps: {
      attributes: {
        class: "minutes__prose",
        role: "textbox",
        "aria-multiline": "true",
        "aria-label": mount.dataset.label,
        ...(config.canWrite ? {} : { "aria-readonly": "true" }),
      },
    },
  });

  // -- connection ---------------------------------------------------------------
  let stopped = false;
  function show(state, text) {
    root.dataset.state = state;
    connection.textContent = text;
  }
  show("connecting", strings.connecting);
  provider.on("status", ({ status }) => {
    if (stopped) return;
    if (status === "connected") return; // "synced" follows
    show(status === "disconnected" ? "offline" : "connecting",
      status === "disconnected" && config.canWrite ? strings.offline : strings.connecting);
  });
  provider.on("sync", (synced) => {
    if (!stopped && synced) show("synced", config.canWrite ? strings.synced : strings.readOnly);
  });
  provider.on("connection-close", (event) => {
    const code = event?.code;
    if (code === NOT_FOUND || code === READ_ONLY || code === BAD_FRAME || code === TOO_LARGE) {
      stop("rejected", strings.rejected);
    } else if (code === STATUS_CHANGED && config.canWrite) {
      stop("locked", strings.locked);
    }
  });
  function stop(state, text) {
    stopped = true;
    provider.shouldConnect = false;
    provider.disconnect();
    editor.setEditable(false);
    setQuoting(false);
    show(state, text);
  }

  // -- who is writing -----------------------------------------------------------
  function showWriters() {
    const writers = [];
    provider.awareness.getStates().forEach((state, clientId) => {
      if (state && state.user && typeof state.user.name === "string") {
        writers.push({ clientId, name: state.user.name, color: state.user.color });
      }
    });
    writers.sort((a, b) => a.name.localeCompare(b.name));
    writerList.replaceChildren(
      ...writers.map((writer) => {
        const li = document.createElement("li");
        li.className = "minutes__writer";
        const swatch = document.createElement("span");
        swatch.className = "minutes__swatch";
        swatch.setAttribute("aria-hidden", "true");
        if (/^#[0-9a-f]{6}$/i.test(writer.color ?? "")) swatch.style.backgroundColor = writer.color;
        const you = writer.clientId === doc.clientID;
        li.append(swatch, document.createTextNode(you ? strings.you.replace("%(name)s", writer.name) : writer.name));
        return li;
      }),
    );
    if (!writers.length) {
      const li = document.createElement("li");
      li.className = "minutes__writer minutes__writer--none muted";
      li.textContent = strings.nobody;
      writerList.append(li);
    }
  }
  provider.awareness.on("change", showWriters);
  showWriters();

  // -- the decision register ------------------------------------------------------
  const registerSection = root.querySelector("[data-minutes-register]");
  if (registerSection) {
    followRegister(registerSection, doc.getXmlFragment(FRAGMENT_FIELD), { strings, lang });
  }

  // -- broadcast times: buttons that seek while the replay plays --------------------
  if (player) {
    let wasReplay = replaying();
    new MutationObserver(() => {
      if (replaying() === wasReplay) return;
      wasReplay = replaying();
      editor.view.dispatch(editor.state.tr.setMeta(timesKey, true));
    }).observe(player, { attributes: true, attributeFilter: ["data-stream-status"] });
  }

  // -- toolbar --------------------------------------------------------------------
  const feedback = root.querySelector("[data-minutes-feedback]");
  const say = (text) => {
    if (feedback) feedback.textContent = text;
  };
  const toolbar = root.querySelector("[data-minutes-toolbar]");
  if (toolbar) bindToolbar(toolbar, editor, root, { strings, say, player });

  // -- quoting a chat message or a question -----------------------------------------
  // The cursor counts once the writer has been in the editor; before that a quote
  // goes to the end of the current agenda item's section.
  let placed = false;
  editor.on("focus", () => {
    placed = true;
  });
  const clock = timeFormat(lang, root.dataset.timeZone);
  function setQuoting(on) {
    document.documentElement.toggleAttribute("data-minutes-quoting", on);
  }
  setQuoting(config.canWrite);
  document.addEventListener("minutes:quote", (event) => {
    if (!config.canWrite || stopped || !editor.isEditable) return;
    const content = quoteContent(event.detail ?? {}, strings, clock);
    if (!content) return;
    editor.chain().insertContentAt(quotePlace(editor, placed), content).run();
    say(strings.quoted);
  });

  // For the browser tests and for debugging: the document and the provider.
  root.minutes = { editor, provider, doc };
}

// A quote as ProseMirror JSON: a blockquote with the text (plain: text nodes only,
// never parsed as HTML), then who said it, when, and under which agenda item.
function quoteContent(detail, strings, clock) {
  const text = String(detail.text ?? "").trim();
  if (!text) return null;
  const created = new Date(detail.time);
  const time = Number.isNaN(created.getTime()) ? "" : clock.format(created);
  const author = String(detail.author ?? "");
  let line = format(detail.kind === "question" ? strings.quoteQuestion : strings.quoteMessage, { author, time });
  const item = agendaTitle(detail.item);
  if (item) line = format(strings.quoteItem, { line, item });
  const paragraphs = text
    .split(/\n+/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => ({ type: "paragraph", content: [{ type: "text", text: part }] }));
  paragraphs.push({ type: "paragraph", content: [{ type: "text", text: line, marks: [{ type: "italic" }] }] });
  return { type: "blockquote", content: paragraphs };
}

function agendaTitle(id) {
  if (id === null || id === undefined || id === "") return "";
  const li = document.querySelector(`[data-agenda] li[data-item="${CSS.escape(String(id))}"] .agenda__title`);
  return li ? li.textContent.trim() : "";
}

// Where a quote goes: after the block holding the writer's cursor, or at the end
// of the current agenda item's section (before its trailing empty paragraph, left
// for typing), or at the end of the document.
function quotePlace(editor, placed) {
  const { doc, selection } = editor.state;
  if (placed && selection.$from.depth > 0) return selection.$from.after(1);
  const current = document.querySelector("[data-agenda] .agenda__item--current .agenda__title");
  const title = current ? current.textContent.trim() : "";
  let inSection = false;
  let end = null;
  let lastEmpty = null;
  doc.forEach((node, offset) => {
    if (end !== null) return;
    const isItem = node.type.name === "heading" && node.attrs.level === 2;
    if (isItem && inSection) {
      end = lastEmpty ?? offset;
      return;
    }
    if (isItem) inSection = title !== "" && node.textContent.trim() === title;
    else if (inSection) lastEmpty = node.type.name === "paragraph" && node.content.size === 0 ? offset : null;
  });
  if (end !== null) return end;
  if (inSection && lastEmpty !== null) return lastEmpty;
  return doc.content.size;
}

function splitPath(path) {
  const trimmed = path.replace(/\/$/, "");
  const cut = trimmed.lastIndexOf("/");
  return [trimmed.slice(0, cut), `${trimmed.slice(cut + 1)}/`];
}

const COMMANDS = {
  heading: (chain) => chain.toggleHeading({ level: 3 }),
  bold: (chain) => chain.toggleBold(),
  italic: (chain) => chain.toggleItalic(),
  bulletList: (chain) => chain.toggleBulletList(),
  orderedList: (chain) => chain.toggleOrderedList(),
  table: (chain) => chain.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
  decision: (chain) => chain.toggleDecision(),
  undo: (chain) => chain.undo(),
  redo: (chain) => chain.redo(),
};

const ACTIVE = {
  heading: (editor) => editor.isActive("heading", { level: 3 }),
  bold: (editor) => editor.isActive("bold"),
  italic: (editor) => editor.isActive("italic"),
  bulletList: (editor) => editor.isActive("bulletList"),
  orderedList: (editor) => editor.isActive("orderedList"),
  link: (editor) => editor.isActive("link"),
  decision: (editor) => editor.isActive("decision"),
  action: (editor) => editor.isActive("action"),
};

function bindToolbar(toolbar, editor, root, { strings, say, player }) {
  const actionForm = bindActionForm(root, editor);
  const times = timeCommands(editor, { strings, say, player });
  const buttons = [...toolbar.querySelectorAll("[data-command]")];
  const prompt = root.querySelector("[data-minutes-link-prompt]")?.textContent ?? "URL";
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-command]");
    if (!button) return;
    const command = button.dataset.command;
    if (command === "link") {
      const previous = editor.getAttributes("link").href ?? "";
      const href = window.prompt(prompt, previous);
      if (href === null) return;
      const chain = editor.chain().focus().extendMarkRange("link");
      if (href.trim() === "") chain.unsetLink().run();
      else chain.setLink({ href: href.trim() }).run();
      return;
    }
    if (command === "action") {
      actionForm.open();
      return;
    }
    if (times[command]) {
      times[command]();
      return;
    }
    COMMANDS[command]?.(editor.chain().focus()).run();
  });
  // Arrow keys move between the toolbar's buttons (one tab stop, WAI-ARIA toolbar).
  let current = 0;
  buttons.forEach((button, index) => button.setAttribute("tabindex", index === 0 ? "0" : "-1"));
  toolbar.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    event.preventDefault();
    buttons[current].setAttribute("tabindex", "-1");
    current = (current + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length;
    buttons[current].setAttribute("tabindex", "0");
    buttons[current].focus();
  });
  const refresh = () => {
    for (const button of buttons) {
      const active = ACTIVE[button.dataset.command];
      if (active) button.setAttribute("aria-pressed", String(active(editor)));
    }
  };
  editor.on("selectionUpdate", refresh);
  editor.on("transaction", refresh);
}

// The form of an action's owner and due date: it turns the block at the cursor
// into an action, or changes the action's; "Back to a paragraph" undoes it.
function bindActionForm(root, editor) {
  const form = root.querySelector("[data-minutes-action-form]");
  const owner = form.querySelector("[data-minutes-action-owner]");
  const due = form.querySelector("[data-minutes-action-due]");
  const unset = form.querySelector("[data-minutes-action-unset]");

  function close() {
    form.hidden = true;
    editor.commands.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!due.checkValidity()) {
      due.reportValidity();
      return;
    }
    const attributes = {
      owner: owner.value.split(/\s+/).filter(Boolean).join(" ").slice(0, OWNER_MAX) || null,
      due: due.value || null,
    };
    form.hidden = true;
    editor.chain().focus().setAction(attributes).run();
  });
  unset.addEventListener("click", () => {
    form.hidden = true;
    editor.chain().focus().unsetAction().run();
  });
  form.querySelector("[data-minutes-action-cancel]").addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    close();
  });

  return {
    open() {
      const current = editor.isActive("action") ? editor.getAttributes("action") : {};
      owner.value = current.owner ?? "";
      due.value = current.due ?? "";
      unset.hidden = !editor.isActive("action");
      form.hidden = false;
      owner.focus();
    },
  };
}

// "Mark the time" stamps the paragraph at the cursor with the broadcast's current
// time (the player knows it: live, seconds since the start; in the replay, the
// video's position); "Edit the time" asks for it, and an empty answer removes it.
function timeCommands(editor, { strings, say, player }) {
  function stamp(seconds) {
    if (!selectedParagraph(editor.state)) {
      say(strings.noParagraph);
      return;
    }
    editor.chain().focus().setBroadcastTime(seconds).run();
    say(seconds === null ? strings.timeRemoved : format(strings.timeMarked, { time: formatTime(seconds) }));
  }

  function ask() {
    const paragraph = selectedParagraph(editor.state);
    if (!paragraph) {
      say(strings.noParagraph);
      return;
    }
    const known = paragraph.node.attrs.time ?? now();
    const answer = window.prompt(strings.timePrompt, known === null ? "" : formatTime(Math.floor(known)));
    if (answer === null) return;
    if (answer.trim() === "") {
      stamp(null);
      return;
    }
    const seconds = parseTime(answer);
    if (Number.isNaN(seconds)) say(strings.timeInvalid);
    else stamp(seconds);
  }

  function now() {
    const position = player?.broadcastPosition?.();
    return typeof position === "number" && Number.isFinite(position) ? Math.floor(position) : null;
  }

  return {
    markTime() {
      const seconds = now();
      if (seconds === null) ask(); // no broadcast running: the note-taker says when
      else stamp(seconds);
    },
    editTime: ask,
  };
}

// A collaborator's caret: their colour and name for sighted note-takers, hidden
// from screen readers (the name would be read inside the text; the "Writing now"
// list says who is writing).
function caret(user) {
  const cursor = document.createElement("span");
  cursor.classList.add("collaboration-carets__caret");
  cursor.setAttribute("style", `border-color: ${user.color}`);
  cursor.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.classList.add("collaboration-carets__label");
  label.setAttribute("style", `background-color: ${user.color}`);
  label.textContent = user.name;
  cursor.append(label);
  return cursor;
}

// A writer's copy of the document stays in this browser (IndexedDB), so what they
// wrote while offline outlives a reload or a closed tab: it merges into the
// server's document at the next connection, as any offline edit. Someone who may
// not write (a reader, or minutes locked since) keeps nothing: their copy is
// dropped, as the server would refuse what it holds.
function keepLocalCopy(doc, config) {
  if (!config.localCopy || !window.indexedDB) return null;
  if (!config.canWrite) {
    window.indexedDB.deleteDatabase(config.localCopy);
    return null;
  }
  return new IndexeddbPersistence(config.localCopy, doc);
}
