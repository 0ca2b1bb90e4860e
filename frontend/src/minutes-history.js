// The minutes' history (/sessions/<id>/minutes/history/): a slider over the
// revisions, the chosen one shown with each passage marked by who wrote it, and,
// for writers while the minutes are editable, restoring it as a new edit.
//
// The server sends a revision as the whole Yjs document then (a state update)
// and a map from each Yjs client id (one per browser tab) to its writer
// (minutes/services/history.py). This module rebuilds that document in a Y.Doc
// and turns it into content of the editor's own schema (minutes-schema.js):
// Y.XmlText.toDelta with snapshots tags each run of text with the client that
// wrote it, which becomes an `authorship` mark naming the writer.
//
// Restoring reads the current document from the server, lets y-prosemirror's
// own diff (the one the live editor runs on every change) turn it into the
// revision, and sends that one update to the server, which stores it as this
// writer's edit and relays it to every open editor. Unchanged passages keep their
// Yjs items, so their authors stay theirs; the text the revision lacked is
// deleted, and stays in the history.

import { Editor, Mark } from "@tiptap/core";
import { updateYFragment, yXmlFragmentToProseMirrorRootNode } from "@tiptap/y-tiptap";
import * as Y from "yjs";

import { FRAGMENT_FIELD, minutesExtensions } from "./minutes-schema.js";
import { format } from "./text.js";

// The author key of text whose writer the server could not tell (history.py).
const UNKNOWN = "unknown";

const root = document.querySelector("[data-history]");
if (root) start(root);

function start(root) {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const config = read("minutes-history-config");
  const strings = read("minutes-history-strings");
  let history = read("minutes-history-data");

  const slider = root.querySelector("[data-history-slider]");
  const position = root.querySelector("[data-history-position]");
  const first = root.querySelector("[data-history-first]");
  const last = root.querySelector("[data-history-last]");
  const legend = root.querySelector("[data-history-legend]");
  const text = root.querySelector("[data-history-text]");
  const status = root.querySelector("[data-history-status]");
  const restoreButton = root.querySelector("[data-history-restore]");
  const restoreNote = root.querySelector("[data-history-restore-note]");
  const dialog = root.querySelector("[data-history-dialog]");

  const editor = new Editor({
    element: text,
    editable: false,
    extensions: [...minutesExtensions({ strings }), authorship(() => history.authors, strings)],
    editorProps: {
      attributes: { class: "minutes__prose", "aria-label": text.dataset.label, "aria-readonly": "true" },
    },
  });

  const contents = new Map(); // upto -> Promise of { doc, clients }
  let only = null; // the author whose passages alone are highlighted
  let asked = 0; // the latest request, so a slow answer never replaces a newer one

  // -- the revisions ------------------------------------------------------------------

  function revision() {
    return history.revisions[Number(slider.value)];
  }

  function describe(index) {
    const item = history.revisions[index];
    const names = item.authors.map((key) => history.authors[key]?.name).filter(Boolean);
    let line = format(strings.position, { number: index + 1, count: history.revisions.length, time: item.label });
    if (names.length) line += ` · ${format(strings.by, { names: names.join(", ") })}`;
    if (item.restored) line += ` · ${format(strings.restoredFrom, { time: item.restored })}`;
    return line;
  }

  function layout(index) {
    slider.max = String(history.revisions.length - 1);
    slider.value = String(index);
    first.textContent = history.revisions[0].label;
    last.textContent = history.revisions.at(-1).label;
    showPosition();
  }

  function showPosition() {
    const index = Number(slider.value);
    const line = describe(index);
    slider.setAttribute("aria-valuetext", line);
    position.textContent = line;
    const current = index === history.revisions.length - 1;
    if (restoreButton) restoreButton.disabled = current;
    if (restoreNote) restoreNote.textContent = current ? strings.current : "";
  }

  function content(upto) {
    if (!contents.has(upto)) {
      const loading = getJSON(`${config.base}${upto}/`).then((data) => {
        const doc = new Y.Doc({ gc: false });
        Y.applyUpdate(doc, fromBase64(data.state));
        return { doc, clients: data.clients };
      });
      loading.catch(() => contents.delete(upto)); // try again next time
      contents.set(upto, loading);
    }
    return contents.get(upto);
  }

  async function show() {
    const item = revision();
    const ticket = ++asked;
    root.dataset.state = "loading";
    try {
      const { doc, clients } = await content(item.upto);
      if (ticket !== asked) return;
      const { json, writers } = toContent(doc.getXmlFragment(FRAGMENT_FIELD), clients);
      editor.commands.setContent(json, { emitUpdate: false });
      const known = Object.keys(history.authors);
      showLegend([...known.filter((key) => writers.has(key)), ...[...writers].filter((key) => !known.includes(key))]);
      highlight();
      root.dataset.state = "ready";
    } catch {
      if (ticket !== asked) return;
      root.dataset.state = "failed";
      say(strings.loadFailed);
    }
  }

  let timer = null;
  slider.addEventListener("input", () => {
    showPosition();
    clearTimeout(timer);
    timer = setTimeout(show, 150); // dragging fetches only where it stops
  });

  // -- who wrote what -------------------------------------------------------------------

  function showLegend(writers) {
    if (only && !writers.includes(only)) only = null;
    legend.replaceChildren(
      ...writers.map((key) => {
        const author = history.authors[key] ?? { name: key, colour: null };
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "history__author";
        button.dataset.author = key;
        button.setAttribute("aria-pressed", String(only === key));
        const sample = document.createElement("span");
        sample.className = `history__sample authorship ${colourClass(author.colour)}`;
        sample.setAttribute("aria-hidden", "true");
        sample.textContent = "Abc";
        button.append(sample, document.createTextNode(author.name));
        li.append(button);
        return li;
      }),
    );
  }

  legend.addEventListener("click", (event) => {
    const button = event.target.closest("[data-author]");
    if (!button) return;
    only = only === button.dataset.author ? null : button.dataset.author;
    for (const other of legend.querySelectorAll("[data-author]")) {
      other.setAttribute("aria-pressed", String(other.dataset.author === only));
    }
    highlight();
    say(only ? format(strings.showOnly, { name: history.authors[only]?.name ?? "" }) : strings.showAll);
  });

  function highlight() {
    text.dataset.only = only ? "1" : "";
    for (const span of text.querySelectorAll(".authorship")) {
      span.classList.toggle("authorship--chosen", span.dataset.author === only);
    }
  }

  // -- restore --------------------------------------------------------------------------

  if (restoreButton && dialog) {
    restoreButton.addEventListener("click", () => {
      const item = revision();
      dialog.querySelector("[data-history-dialog-text]").textContent = describe(Number(slider.value));
      dialog.dataset.upto = String(item.upto);
      dialog.returnValue = ""; // Escape leaves the previous value
      dialog.showModal();
    });
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "restore") restore(Number(dialog.dataset.upto));
      else restoreButton.focus();
    });
  }

  async function restore(upto) {
    const item = history.revisions.find((candidate) => candidate.upto === upto);
    restoreButton.setAttribute("aria-busy", "true");
    restoreButton.disabled = true;
    say(strings.restoring);
    try {
      const { doc: wanted } = await content(upto);
      const update = await restoringUpdate(wanted);
      if (update === null) {
        say(strings.unchanged);
        return;
      }
      const response = await fetch(`${config.base}${upto}/restore/`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": config.csrfToken },
        body: update,
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        say(answer.message || strings.restoreFailed);
        return;
      }
      history = await getJSON(config.revisions);
      layout(history.revisions.length - 1);
      await show();
      say(format(strings.restored, { time: item?.label ?? "" }));
    } catch {
      say(strings.restoreFailed);
    } finally {
      restoreButton.removeAttribute("aria-busy");
      showPosition();
      slider.focus();
    }
  }

  // The update that turns the document as stored now into `wanted`, or null.
  async function restoringUpdate(wanted) {
    const listing = await getJSON(config.revisions); // the latest revision, now
    const current = await getJSON(`${config.base}${listing.revisions.at(-1).upto}/`);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, fromBase64(current.state));
    const target = yXmlFragmentToProseMirrorRootNode(wanted.getXmlFragment(FRAGMENT_FIELD), editor.schema);
    const updates = [];
    doc.on("update", (update) => updates.push(update));
    updateYFragment(doc, doc.getXmlFragment(FRAGMENT_FIELD), target, { mapping: new Map(), isOMark: new Map() });
    return updates.length ? Y.mergeUpdates(updates) : null;
  }

  function say(message) {
    status.textContent = message;
  }

  layout(history.revisions.length - 1);
  show();
  // For the browser tests: the editor showing the revision.
  root.history = { editor };
}

// -- turning a revision into editor content ----------------------------------------------

// The mark that names a run's writer; its colour and line style come from main.css.
function authorship(authors, strings) {
  return Mark.create({
    name: "authorship",
    addAttributes() {
      return { author: { default: null, rendered: false } };
    },
    renderHTML({ mark }) {
      const key = mark.attrs.author;
      const author = authors()[key];
      const name = author?.name ?? "";
      return [
        "span",
        {
          class: `authorship ${colourClass(author?.colour)}`,
          "data-author": key,
          title: format(strings.writtenBy, { name }),
        },
        0,
      ];
    },
  });
}

function colourClass(colour) {
  return Number.isInteger(colour) ? `authorship--${colour}` : "authorship--none";
}

// ProseMirror JSON of a Y.XmlFragment in y-prosemirror's shape (an element per
// node, named after its type; marks as text attributes), each run of text marked
// with its writer; and the writers found, in order.
function toContent(fragment, clients) {
  const snapshot = Y.snapshot(fragment.doc);
  const writers = new Set();
  // Against the empty snapshot, every visible item counts as "added" by its client.
  const change = (type, id) => ({ type, user: id.client });
  const convert = (node) => {
    if (node instanceof Y.XmlText) {
      return node
        .toDelta(snapshot, Y.emptySnapshot, change)
        .filter((run) => typeof run.insert === "string" && run.insert.length > 0)
        .map((run) => {
          const marks = [];
          for (const [key, value] of Object.entries(run.attributes ?? {})) {
            if (key === "ychange") {
              const writer = clients[String(value.user)] ?? UNKNOWN;
              writers.add(writer);
              marks.push({ type: "authorship", attrs: { author: writer } });
            } else {
              marks.push({ type: key.split("--")[0], attrs: value ?? {} });
            }
          }
          return { type: "text", text: run.insert, marks };
        });
    }
    if (node instanceof Y.XmlElement) {
      const content = node.toArray().flatMap(convert);
      return [{ type: node.nodeName, attrs: node.getAttributes(), ...(content.length ? { content } : {}) }];
    }
    return [];
  };
  const content = fragment.toArray().flatMap(convert);
  return { json: { type: "doc", content }, writers };
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
