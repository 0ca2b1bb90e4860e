// Posts imported by the hashtag bridge, and the bridge's controls, in the chat.
//
// The chat (chat.js) builds each message element from its template; for a message
// with a `source` (docs/protocol.md, "The chat"), `decorateImported(li, message,
// strings)` then adds what an imported post needs: the network's badge, the
// author's handle linking to their profile, a link to the original, the content
// warning as a collapsed <details> (Mastodon's, or the Bluesky self-labels named
// by `labelNames`), the media as links named by their alt text, and "edited" when
// its author changed it at the source. `renderBridgeStatus(element, frame, strings)` shows a `bridge.status`
// frame on the moderators' console; `sendOutButton(message, strings, tag, send)`
// makes the moderators' "send out under the hashtag" button (a `bridge.send`
// frame, or `bridge.send_question` with `{ question: true }`; `send` may return a
// promise: a refusal makes the button usable again).
// `opensNewWindow(element, noteId)` makes an element's links open in a new window,
// described by the page's "(opens in a new window)" note, as the chat's own links.
//
// Invariants, as in chat.js: text reaches the page through textContent only;
// links are made for http(s) URLs only, with rel="noopener noreferrer nofollow
// ugc"; nothing from the network goes through innerHTML.
//
// Strings: `bridgeStrings(root)` reads <template data-bridge-strings> spans
// (data-key -> translated text, as the chat's own strings) and falls back to
// English for any key missing.

const ENGLISH = {
  mastodon: "Mastodon",
  bluesky: "Bluesky",
  original: "See the original on %(network)s",
  profile: "%(handle)s on %(network)s",
  warning: "Content warning: %(warning)s",
  labelPorn: "Adult content",
  labelSexual: "Sexually suggestive",
  labelNudity: "Non-sexual nudity",
  labelGraphicMedia: "Graphic media",
  labelSensitive: "Sensitive content",
  editedSource: "Edited on %(network)s.",
  media: "Attachment %(n)s",
  mediaAlt: "Attachment: %(alt)s",
  connected: "connected",
  disconnected: "not connected",
  stopped: "stopped: the credentials were refused",
  lastPost: "last post %(time)s",
  lastError: "last error: %(error)s",
  sendOut: "Send out under #%(tag)s",
  sendOutDone: "The message will go out under #%(tag)s.",
  heading: "Bridges %(tags)s",
};

// Bluesky's self-label values (what its app offers), by the name pages give them.
const LABELS = {
  porn: "labelPorn",
  sexual: "labelSexual",
  nudity: "labelNudity",
  "graphic-media": "labelGraphicMedia",
  gore: "labelGraphicMedia", // the older name of graphic-media
  "!warn": "labelSensitive",
  "!hide": "labelSensitive",
};
// Not about the content: who may see the post when logged out.
const NOT_WARNINGS = new Set(["!no-unauthenticated"]);

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => (key in values ? String(values[key]) : ""));
}

function safeUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

function link(href, text) {
  const url = safeUrl(href);
  if (!url) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  const a = document.createElement("a");
  a.href = url;
  a.rel = "noopener noreferrer nofollow ugc";
  a.textContent = text;
  return a;
}

export function bridgeStrings(root) {
  const strings = { ...ENGLISH };
  const template = root?.querySelector("template[data-bridge-strings]");
  if (template) {
    for (const span of template.content.querySelectorAll("[data-key]")) {
      strings[span.dataset.key] = span.textContent.trim();
    }
  }
  return strings;
}

// The readable names of self-labels, each once: known values by their translated
// name, any other one as written, its dashes as spaces ("spoiler-tv": "spoiler tv").
export function labelNames(labels, strings = ENGLISH) {
  const names = [];
  for (const value of labels || []) {
    if (typeof value !== "string" || NOT_WARNINGS.has(value)) continue;
    const name = LABELS[value] ? strings[LABELS[value]] : value.replace(/^!/, "").replace(/[-_]+/g, " ").trim();
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

export function decorateImported(li, message, strings = ENGLISH) {
  const source = message.source;
  if (!source) return li;
  const network = strings[source.network] || source.network;
  li.classList.add("chat-msg--imported", `chat-msg--${source.network}`);
  li.dataset.network = source.network;

  const badge = li.querySelector('[data-field="badge"]');
  if (badge) {
    badge.textContent = network;
    badge.hidden = false;
  }
  const author = li.querySelector('[data-field="author"]');
  if (author && source.author_handle) {
    const shown = `@${source.author_handle.replace(/^@/, "")}`;
    const handle = link(source.author_url, shown);
    handle.className = "chat-msg__handle";
    // The name spoken starts with the words shown (speech control users say those).
    handle.setAttribute?.("aria-label", format(strings.profile, { handle: shown, network }));
    author.after(" ", handle);
  }

  const text = li.querySelector('[data-field="text"]');
  const warning = [source.content_warning, ...labelNames(source.labels, strings)]
    .filter(Boolean)
    .join(", ");
  if (text && warning) {
    const details = document.createElement("details");
    details.className = "chat-msg__cw";
    const summary = document.createElement("summary");
    summary.textContent = format(strings.warning, { warning });
    text.replaceWith(details);
    details.append(summary, text);
  }

  // The media go behind the content warning too: their descriptions may be what it
  // warns about.
  const warned = li.querySelector(".chat-msg__cw");
  const after = warned || text || li.lastElementChild;
  const extra = document.createElement("p");
  extra.className = "chat-msg__source";
  if (source.media.length) {
    const media = document.createElement("ul");
    media.className = "chat-msg__media";
    source.media.forEach((item, index) => {
      const entry = document.createElement("li");
      const label = item.alt
        ? format(strings.mediaAlt, { alt: item.alt })
        : format(strings.media, { n: index + 1 });
      entry.append(link(item.url, label));
      media.append(entry);
    });
    if (warned) warned.append(media);
    else after.after(media);
  }
  if (source.edited_at) {
    const edited = document.createElement("span");
    edited.className = "chat-msg__source-edited";
    edited.textContent = format(strings.editedSource, { network });
    extra.append(edited);
  }
  if (source.url) {
    if (extra.childNodes.length) extra.append(" ");
    extra.append(link(source.url, format(strings.original, { network })));
  }
  if (extra.childNodes.length) {
    (warned || li.querySelector(".chat-msg__media") || after).after(extra);
  }
  // Replies go to the room; the author outside would not see them.
  const reply = li.querySelector('[data-action="reply"]');
  if (reply) reply.hidden = true;
  return li;
}

export function sendOutButton(message, strings, tag, send, { question = false } = {}) {
  if (message.source) return null;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "chat-msg__action chat-msg__action--moderate";
  button.dataset.action = "send-out";
  button.textContent = format(strings.sendOut, { tag });
  // aria-disabled rather than disabled: the button keeps focus once pressed.
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    const type = question ? "bridge.send_question" : "bridge.send";
    Promise.resolve(send({ type, id: message.id })).catch(() => {
      button.removeAttribute("aria-disabled");
    });
  });
  return button;
}

export function opensNewWindow(element, noteId) {
  for (const a of element.querySelectorAll("a[href]:not([target])")) {
    a.target = "_blank";
    if (noteId) a.setAttribute("aria-describedby", noteId);
  }
  return element;
}

export function renderBridgeStatus(element, frame, strings = ENGLISH, timeFormat = null) {
  if (!element) return;
  element.replaceChildren();
  element.hidden = frame.networks.length === 0;
  for (const state of frame.networks) {
    const line = document.createElement("li");
    line.className = `bridge-state bridge-state--${state.stopped ? "stopped" : state.connected ? "up" : "down"}`;
    const parts = [
      strings[state.network] || state.network,
      state.stopped ? strings.stopped : state.connected ? strings.connected : strings.disconnected,
    ];
    if (state.last_post_at) {
      const when = new Date(state.last_post_at);
      const time = timeFormat ? timeFormat.format(when) : when.toLocaleTimeString();
      parts.push(format(strings.lastPost, { time }));
    }
    if (state.last_error && !state.connected) {
      parts.push(format(strings.lastError, { error: state.last_error }));
    }
    line.textContent = parts.join(" · ");
    element.append(line);
  }
}
