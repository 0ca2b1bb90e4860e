// Emoji reactions under chat messages: the counts, this viewer's own, the picker.
//
// Invariants:
// - Counts come from the server only (`reactions` of a message, `chat.reactions`,
//   which are absolute: they replace). This viewer's own reactions (`reacted`) are
//   kept apart, so rebuilding a message keeps them; a click toggles one at once
//   (aria-pressed) and sends `chat.react`; a refusal puts it back.
// - A count shown is never below what this viewer's own reaction implies, so a
//   reaction just added shows 1 before the server's count arrives.
// - The row is updated in place, button by button (focus stays where it is), and
//   sits in an aria-live="off" container: inside the chat's log (a polite live
//   region), a count changing or a button appearing must not be read out.
// - Without an account (`canReact` false) the counts are text, with no buttons.
//
// Words: `strings.reaction` ("%(emoji)s %(count)s, %(name)s"), `react`,
// `reactTo`, `reactions`; the emoji and their names come from the template.

import { format } from "./text.js";

export function createReactions({ emoji, strings, canReact, send }) {
  // emoji: Map of emoji -> translated name, in the order they are offered.
  const mine = new Map(); // message id -> Set of emoji
  const busy = new Set(); // "id emoji" while a chat.react is unanswered

  function mineOf(id) {
    return mine.get(id) ?? new Set();
  }

  function setMine(id, emojis) {
    if (emojis.size) mine.set(id, emojis);
    else mine.delete(id);
  }

  // chat.history's `reacted`: the whole truth for a snapshot, more for older pages.
  function learn(reacted, { replace }) {
    if (replace) mine.clear();
    for (const entry of reacted || []) {
      setMine(entry.id, new Set((entry.emojis || []).filter((e) => emoji.has(e))));
    }
  }

  function counted(message, e) {
    const count = Number(message.reactions?.[e] ?? 0);
    return Math.max(count, mineOf(message.id).has(e) ? 1 : 0);
  }

  function label(e, count) {
    return format(strings.reaction, { emoji: e, count, name: emoji.get(e) });
  }

  function countButton(id, e) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chat-reaction";
    button.dataset.action = "react";
    button.dataset.emoji = e;
    const face = document.createElement("span");
    face.setAttribute("aria-hidden", "true");
    button.append(face);
    return button;
  }

  function countText(e) {
    const span = document.createElement("span");
    span.className = "chat-reaction chat-reaction--static";
    span.dataset.emoji = e;
    const face = document.createElement("span");
    face.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "visually-hidden";
    span.append(face, name);
    return span;
  }

  // Fill (or refresh) a message's reactions row, `row` being its container.
  function render(row, message, name) {
    const id = message.id;
    const chosen = mineOf(id);
    let counts = row.querySelector(".chat-reactions__counts");
    if (!counts) {
      counts = document.createElement("span");
      counts.className = "chat-reactions__counts";
      counts.setAttribute("role", "group");
      counts.setAttribute("aria-label", strings.reactions);
      row.append(counts);
      if (canReact) row.append(...picker(id, name));
    }
    const existing = new Map([...counts.children].map((el) => [el.dataset.emoji, el]));
    let previous = null;
    for (const e of emoji.keys()) {
      const count = counted(message, e);
      let el = existing.get(e);
      if (count === 0) {
        if (el) {
          if (el.contains(document.activeElement)) row.querySelector("[data-action='react-menu']")?.focus();
          el.remove();
        }
        continue;
      }
      if (!el) {
        el = canReact ? countButton(id, e) : countText(e);
        if (previous) previous.after(el);
        else counts.prepend(el);
      }
      el.firstElementChild.textContent = `${e} ${count}`;
      if (canReact) {
        el.setAttribute("aria-label", label(e, count));
        el.setAttribute("aria-pressed", String(chosen.has(e)));
        el.toggleAttribute("aria-busy", busy.has(`${id} ${e}`));
      } else {
        el.lastElementChild.textContent = label(e, count);
      }
      previous = el;
    }
    for (const button of row.querySelectorAll("[data-action='react-pick']")) {
      button.setAttribute("aria-pressed", String(chosen.has(button.dataset.emoji)));
    }
    row.hidden = !canReact && counts.children.length === 0;
  }

  function picker(id, name) {
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "chat-reactions__add";
    toggle.dataset.action = "react-menu";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-label", format(strings.reactTo, { name }));
    toggle.textContent = strings.react;
    const menu = document.createElement("span");
    menu.className = "chat-reactions__picker";
    menu.setAttribute("role", "group");
    menu.setAttribute("aria-label", strings.react);
    menu.id = `chat-reactions-${id}`;
    menu.hidden = true;
    toggle.setAttribute("aria-controls", menu.id);
    for (const [e, label] of emoji) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chat-reactions__pick";
      button.dataset.action = "react-pick";
      button.dataset.emoji = e;
      button.setAttribute("aria-label", label);
      button.setAttribute("aria-pressed", "false");
      button.textContent = e;
      menu.append(button);
    }
    return [toggle, menu];
  }

  function openPicker(row, open, { focus = true } = {}) {
    const toggle = row.querySelector("[data-action='react-menu']");
    const menu = row.querySelector(".chat-reactions__picker");
    if (!toggle || !menu) return;
    const hadFocus = menu.contains(document.activeElement);
    toggle.setAttribute("aria-expanded", String(open));
    menu.hidden = !open;
    if (open && focus) menu.querySelector("button")?.focus();
    else if (!open && (hadFocus || focus)) toggle.focus();
  }

  // Toggle this viewer's `e` on a message; `rerender` shows the new state.
  function toggle(message, e, rerender) {
    const id = message.id;
    const key = `${id} ${e}`;
    if (!canReact || busy.has(key)) return;
    const on = !mineOf(id).has(e);
    const flip = (value) => {
      const emojis = new Set(mineOf(id));
      if (value) emojis.add(e);
      else emojis.delete(e);
      setMine(id, emojis);
    };
    flip(on);
    busy.add(key);
    rerender();
    send({ type: "chat.react", id, emoji: e, on })
      .catch(() => flip(!on))
      .finally(() => {
        busy.delete(key);
        rerender();
      });
  }

  // A row's clicks: returns true when the click was a reaction's.
  function click(target, row, message, rerender) {
    const button = target.closest("[data-action]");
    if (!button || !row.contains(button)) return false;
    switch (button.dataset.action) {
      case "react-menu":
        openPicker(row, button.getAttribute("aria-expanded") !== "true");
        return true;
      case "react-pick":
        toggle(message, button.dataset.emoji, rerender);
        openPicker(row, false);
        return true;
      case "react":
        toggle(message, button.dataset.emoji, rerender);
        return true;
      default:
        return false;
    }
  }

  function forget(id) {
    mine.delete(id);
  }

  return { learn, render, click, openPicker, forget };
}
