// The minutes' document schema: the TipTap extensions every view of the minutes
// renders with (the live editor in minutes.js, the history view in
// minutes-history.js), so a document reads the same everywhere.
//
// Besides StarterKit and tables, the blocks that tie the minutes to the session:
// - `decision`: a textblock, "Decision: <text>";
// - `action`: a textblock with `owner` (text) and `due` (an ISO date), shown as
//   "Action: <text> (who: Awa, by 1 March 2025)";
// - a paragraph's `time`: the broadcast time it refers to, in seconds since the
//   broadcast started (the replay's clock). It shows before the paragraph; in the
//   replay it is a button with `data-seek`, which the player (player.js) handles
//   as it does the chapters.
// y-prosemirror stores them as XmlElements with these attributes; the server reads
// them back (minutes/services/blocks.py) and trusts none of them, and so does this
// module when it shows them: an owner is cut at OWNER_MAX, a due date that is not
// a date is not shown, a time out of range is none.
//
// Labels come from `strings` (minutes_tags.block_strings on the server); every
// label and attribute reaches the page through the DOM, never as HTML.

import { Extension, Node } from "@tiptap/core";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { TableKit } from "@tiptap/extension-table";
import { Plugin, PluginKey } from "@tiptap/pm/state";
import { Decoration, DecorationSet } from "@tiptap/pm/view";
import StarterKit from "@tiptap/starter-kit";

import { format } from "./text.js";

// The Y.XmlFragment the editor binds (TipTap Collaboration's default `field`).
export const FRAGMENT_FIELD = "default";
export const OWNER_MAX = 120;
export const TIME_MAX = 48 * 3600;
const TEXT_MAX = 1000;

// Tell the broadcast-time decorations to redraw (the replay started or ended).
export const timesKey = new PluginKey("minutesTimes");

// -- cleaning what the document holds ------------------------------------------------

export function cleanOwner(value) {
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean).join(" ").slice(0, OWNER_MAX) : "";
}

export function cleanDue(value) {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) return null;
  const year = date.getUTCFullYear();
  return year >= 2000 && year <= 2100 ? value : null;
}

export function cleanTime(value) {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > TIME_MAX) return null;
  return Math.floor(value);
}

export function cleanText(value) {
  return value.split(/\s+/).filter(Boolean).join(" ").slice(0, TEXT_MAX);
}

// 754 -> "12:34"; past an hour "1:02:03" (as the replay's chapters).
export function formatTime(seconds) {
  const hh = Math.floor(seconds / 3600);
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

// "1:02:03", "12:34" or "754" -> seconds; anything else -> NaN.
export function parseTime(text) {
  const parts = text.trim().split(":");
  if (parts.length > 3 || parts.some((part) => !/^\d{1,5}$/.test(part))) return Number.NaN;
  if (parts.length > 1 && parts.slice(1).some((part) => part.length !== 2 || Number(part) > 59)) {
    return Number.NaN;
  }
  const seconds = parts.reduce((total, part) => total * 60 + Number(part), 0);
  return seconds <= TIME_MAX ? seconds : Number.NaN;
}

function isoDuration(seconds) {
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor((seconds % 3600) / 60);
  return `PT${hh ? `${hh}H` : ""}${mm ? `${mm}M` : ""}${seconds % 60}S`;
}

export function dueFormat(lang) {
  return new Intl.DateTimeFormat(lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// "who: Awa, by 1 March 2025" (empty when neither is set).
export function actionMeta(owner, due, strings, dates) {
  const parts = [];
  if (owner) parts.push(format(strings.owner, { owner }));
  if (due) parts.push(format(strings.due, { date: dates.format(new Date(`${due}T00:00:00Z`)) }));
  return parts.join(", ");
}

// -- the blocks -----------------------------------------------------------------------

const Decision = Node.create({
  name: "decision",
  group: "block",
  content: "inline*",
  defining: true,
  addOptions() {
    return { strings: {} };
  },
  parseHTML() {
    return [{ tag: "p[data-type='decision']", contentElement: ".minutes-block__content" }];
  },
  renderHTML() {
    return [
      "p",
      { "data-type": "decision", class: "minutes-block minutes-block--decision" },
      ["strong", { class: "minutes-block__label", contenteditable: "false" }, this.options.strings.decision ?? ""],
      ["span", { class: "minutes-block__content" }, 0],
    ];
  },
  addCommands() {
    return {
      toggleDecision: () => ({ commands }) => commands.toggleNode(this.name, "paragraph"),
    };
  },
});

const Action = Node.create({
  name: "action",
  group: "block",
  content: "inline*",
  defining: true,
  addOptions() {
    return { strings: {}, lang: "fr" };
  },
  addAttributes() {
    return {
      owner: {
        default: null,
        parseHTML: (element) => cleanOwner(element.getAttribute("data-owner")) || null,
        renderHTML: () => ({}),
      },
      due: {
        default: null,
        parseHTML: (element) => cleanDue(element.getAttribute("data-due")),
        renderHTML: () => ({}),
      },
    };
  },
  parseHTML() {
    return [{ tag: "p[data-type='action']", contentElement: ".minutes-block__content" }];
  },
  renderHTML({ node }) {
    const owner = cleanOwner(node.attrs.owner);
    const due = cleanDue(node.attrs.due);
    const meta = actionMeta(owner, due, this.options.strings, dueFormat(this.options.lang));
    return [
      "p",
      {
        "data-type": "action",
        class: "minutes-block minutes-block--action",
        ...(owner ? { "data-owner": owner } : {}),
        ...(due ? { "data-due": due } : {}),
      },
      ["strong", { class: "minutes-block__label", contenteditable: "false" }, this.options.strings.action ?? ""],
      ["span", { class: "minutes-block__content" }, 0],
      ["span", { class: "minutes-block__meta", contenteditable: "false" }, meta ? `(${meta})` : ""],
    ];
  },
  addCommands() {
    return {
      // Make the current block an action, or change the action's owner and date.
      setAction: (attributes) => ({ editor, commands }) => (editor.isActive(this.name)
        ? commands.updateAttributes(this.name, attributes)
        : commands.setNode(this.name, attributes)),
      unsetAction: () => ({ commands }) => commands.setNode("paragraph"),
    };
  },
});

// The paragraph holding the selection's start: { pos, node }, or null.
export function selectedParagraph(state) {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth -= 1) {
    const node = $from.node(depth);
    if (node.type.name === "paragraph") return { pos: $from.before(depth), node };
  }
  return null;
}

const BroadcastTime = Extension.create({
  name: "broadcastTime",
  addOptions() {
    return { strings: {}, replay: () => false };
  },
  addGlobalAttributes() {
    return [{
      types: ["paragraph"],
      attributes: {
        time: {
          default: null,
          parseHTML: (element) => cleanTime(Number(element.getAttribute("data-time") ?? Number.NaN)),
          renderHTML: (attributes) => {
            const seconds = cleanTime(attributes.time);
            return seconds === null ? {} : { "data-time": String(seconds) };
          },
        },
      },
    }];
  },
  addCommands() {
    return {
      // Stamp the paragraph at the cursor with `seconds` (null removes the time).
      setBroadcastTime: (seconds) => ({ state, tr, dispatch }) => {
        const found = selectedParagraph(state);
        if (!found) return false;
        if (dispatch) tr.setNodeMarkup(found.pos, undefined, { ...found.node.attrs, time: seconds });
        return true;
      },
    };
  },
  addProseMirrorPlugins() {
    const { strings, replay } = this.options;
    const build = (doc) => {
      const widgets = [];
      const seeking = replay();
      doc.descendants((node, pos) => {
        if (node.type.name !== "paragraph") return true;
        const seconds = cleanTime(node.attrs.time);
        if (seconds !== null) {
          widgets.push(Decoration.widget(pos + 1, () => timeWidget(seconds, seeking, strings), {
            side: -1,
            key: `time-${seconds}-${seeking ? "seek" : "show"}`,
            ignoreSelection: true,
            stopEvent: () => true,
          }));
        }
        return false;
      });
      return DecorationSet.create(doc, widgets);
    };
    return [new Plugin({
      key: timesKey,
      state: {
        init: (_config, state) => build(state.doc),
        apply: (tr, set, _old, state) => (tr.docChanged || tr.getMeta(timesKey) ? build(state.doc) : set),
      },
      props: { decorations: (state) => timesKey.getState(state) },
    })];
  },
});

// The time before a paragraph: a button that seeks the replay, or the time alone.
function timeWidget(seconds, seeking, strings) {
  const stamp = formatTime(seconds);
  const time = document.createElement("time");
  time.dateTime = isoDuration(seconds);
  time.textContent = stamp;
  if (seeking) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "minutes__time minutes__time--seek";
    button.dataset.seek = String(seconds);
    button.setAttribute("aria-label", format(strings.watchFrom ?? "%(time)s", { time: stamp }));
    button.append(time);
    return button;
  }
  // Read as "Broadcast time 12:34"; the visible time alone would be unclear.
  const span = document.createElement("span");
  span.className = "minutes__time";
  const label = document.createElement("span");
  label.className = "visually-hidden";
  label.textContent = format(strings.timeLabel ?? "%(time)s", { time: stamp });
  time.setAttribute("aria-hidden", "true");
  span.append(label, time);
  return span;
}

// -- the list ---------------------------------------------------------------------------

// The extensions of a minutes view. `strings` and `lang` label the blocks;
// `replay()` says whether times seek the replay; with `doc` the view is bound to
// that Yjs document (its `field`, TipTap's "default" unless said), and with
// `provider` and `user` it shows collaborators' carets (`caret` renders one).
export function minutesExtensions({
  strings = {},
  lang = document.documentElement.lang || "fr",
  replay = () => false,
  editable = false,
  doc = null,
  field = undefined,
  provider = null,
  user = null,
  caret = undefined,
} = {}) {
  const extensions = [
    StarterKit.configure({
      undoRedo: false, // Collaboration brings its own, per writer
      trailingNode: false, // would add paragraphs in every writer's copy
      heading: { levels: [2, 3, 4] },
      link: { openOnClick: !editable, autolink: true, protocols: ["mailto"] },
    }),
    TableKit.configure({ table: { resizable: false } }),
    Decision.configure({ strings }),
    Action.configure({ strings, lang }),
    BroadcastTime.configure({ strings, replay }),
  ];
  if (doc) extensions.push(Collaboration.configure({ document: doc, ...(field ? { field } : {}) }));
  if (doc && provider && user) {
    extensions.push(CollaborationCaret.configure({ provider, user, ...(caret ? { render: caret } : {}) }));
  }
  return extensions;
}
