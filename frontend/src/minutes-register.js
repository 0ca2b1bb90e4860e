// The decision register on the session page, kept live from the Yjs document.
//
// The server renders it on page load (templates/minutes/fragment_register.html,
// from minutes/services/register.py); this module reads the same document in the
// browser with the same rules and rebuilds the two lists when it changes:
// decisions and actions (owner, due date), each with the agenda item it falls
// under, i.e. the level-2 heading above it. Attributes are cleaned as the server
// cleans them (minutes-schema.js), and every text is set with textContent.

import * as Y from "yjs";

import { actionMeta, cleanDue, cleanOwner, cleanText, dueFormat } from "./minutes-schema.js";
import { format } from "./text.js";

const ITEM_LEVEL = 2;
const REFRESH_MS = 200; // a burst of keystrokes rebuilds the register once

function textOf(node) {
  if (node instanceof Y.XmlText) {
    return node.toDelta().map((op) => (typeof op.insert === "string" ? op.insert : "")).join("");
  }
  if (node instanceof Y.XmlElement) return node.toArray().map(textOf).join("");
  return "";
}

// { decisions: [{text, item}], actions: [{text, owner, due, item}] }, in document order.
export function readRegister(fragment) {
  const register = { decisions: [], actions: [] };
  let item = "";
  const visit = (node) => {
    if (!(node instanceof Y.XmlElement)) return;
    if (node.nodeName === "decision") {
      register.decisions.push({ text: cleanText(textOf(node)), item });
    } else if (node.nodeName === "action") {
      register.actions.push({
        text: cleanText(textOf(node)),
        owner: cleanOwner(node.getAttribute("owner")),
        due: cleanDue(node.getAttribute("due")),
        item,
      });
    } else {
      node.toArray().forEach(visit);
    }
  };
  for (const node of fragment.toArray()) {
    if (node instanceof Y.XmlElement && node.nodeName === "heading" && Number(node.getAttribute("level")) === ITEM_LEVEL) {
      item = cleanText(textOf(node));
    } else {
      visit(node);
    }
  }
  return register;
}

// Keep the register under `section` in step with `fragment`.
export function followRegister(section, fragment, { strings, lang }) {
  const decisions = section.querySelector("[data-register-decisions]");
  const actions = section.querySelector("[data-register-actions]");
  const noDecisions = section.querySelector("[data-register-no-decisions]");
  const noActions = section.querySelector("[data-register-no-actions]");
  const dates = dueFormat(lang);
  let shown = null;
  let timer = null;

  function entry(text, metas) {
    const li = document.createElement("li");
    li.className = "minutes-register__entry";
    const span = document.createElement("span");
    span.className = "minutes-register__text";
    span.textContent = text;
    li.append(span);
    const parts = metas.filter(Boolean);
    if (parts.length) {
      const meta = document.createElement("span");
      meta.className = "minutes-register__meta";
      meta.append(...parts);
      li.append(" ", meta);
    }
    return li;
  }

  function part(text, due = null) {
    if (!text) return null;
    const el = document.createElement(due ? "time" : "span");
    if (due) el.dateTime = due;
    el.textContent = text;
    return el;
  }

  function itemPart(item) {
    return item ? part(format(strings.item, { item })) : null;
  }

  function render() {
    timer = null;
    const register = readRegister(fragment);
    const key = JSON.stringify(register);
    if (key === shown) return;
    shown = key;
    decisions.replaceChildren(
      ...register.decisions.map((decision) => entry(decision.text, [itemPart(decision.item)])),
    );
    actions.replaceChildren(
      ...register.actions.map((action) => entry(action.text, [
        action.owner ? part(format(strings.owner, { owner: action.owner })) : null,
        action.due ? part(actionMeta("", action.due, strings, dates), action.due) : null,
        itemPart(action.item),
      ])),
    );
    decisions.hidden = register.decisions.length === 0;
    noDecisions.hidden = register.decisions.length > 0;
    actions.hidden = register.actions.length === 0;
    noActions.hidden = register.actions.length > 0;
  }

  fragment.doc.on("update", () => {
    if (timer === null) timer = window.setTimeout(render, REFRESH_MS);
  });
  return { render };
}
