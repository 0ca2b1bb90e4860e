// Small helpers the page modules share: placeholders, client ids, times.

// Fill Django-style "%(name)s" placeholders of a translated template.
export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

// A random id for a post, so that a retry after a lost connection is stored once.
export function randomId() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// HH:MM in the page's time zone (the one the session's times are written in).
export function timeFormat(lang, timeZone) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(lang, options); // an unknown zone: the browser's own
  }
}

// What a page module returns when its panel is not on the page.
export const INERT = { apply() {}, sessionStatus() {}, connection() {} };
