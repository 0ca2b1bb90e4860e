// The live minutes: a TipTap editor bound to a Yjs document synced with
// /ws/minutes/<session id>/ by y-websocket's WebsocketProvider.
//
// The server holds the authoritative document and wrote its skeleton (a heading
// per agenda item); this module never sets content itself. Note-takers and
// organisers edit, with each writer's caret in their colour and a list of who is
// writing; everyone else gets the same editor, read-only, following live.
// Offline, edits stay in the local Yjs document and merge when the provider
// reconnects (it resends what the server lacks in its sync step 2).

import { Editor } from "@tiptap/core";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { TableKit } from "@tiptap/extension-table";
import StarterKit from "@tiptap/starter-kit";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

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
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // y-websocket connects to `${serverUrl}/${room}`: /ws/minutes/<id>/.
  const [base, room] = splitPath(config.socket);
  const provider = new WebsocketProvider(`${scheme}//${window.location.host}${base}`, room, doc, {
    // Tabs must not sync with each other behind the server's back: the server
    // decides what a reader may change.
    disableBc: true,
  });
  if (!config.canWrite) provider.awareness.setLocalState(null);

  const extensions = [
    StarterKit.configure({
      undoRedo: false, // Collaboration brings its own, per writer
      trailingNode: false, // would add paragraphs in every writer's copy
      heading: { levels: [2, 3, 4] },
      link: { openOnClick: !config.canWrite, autolink: true, protocols: ["mailto"] },
    }),
    TableKit.configure({ table: { resizable: false } }),
    Collaboration.configure({ document: doc }),
  ];
  if (config.canWrite) {
    extensions.push(CollaborationCaret.configure({ provider, user: config.user, render: caret }));
  }
  const editor = new Editor({
    element: mount,
    editable: config.canWrite,
    extensions,
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

  // -- toolbar --------------------------------------------------------------------
  const toolbar = root.querySelector("[data-minutes-toolbar]");
  if (toolbar) bindToolbar(toolbar, editor, root);

  // For the browser tests and for debugging: the document and the provider.
  root.minutes = { editor, provider, doc };
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
};

function bindToolbar(toolbar, editor, root) {
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
