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

// A date format in the page's time zone (the one the session's times are written in).
export function zonedFormat(lang, timeZone, options) {
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(lang, options); // an unknown zone: the browser's own
  }
}

const HOURS_MINUTES = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

// HH:MM in the page's time zone.
export function timeFormat(lang, timeZone) {
  return zonedFormat(lang, timeZone, HOURS_MINUTES);
}

// The day and HH:MM in the page's time zone, for times that may not be today.
export function dayTimeFormat(lang, timeZone) {
  return zonedFormat(lang, timeZone, { weekday: "long", day: "numeric", month: "long", ...HOURS_MINUTES });
}

// What a page module returns when its panel is not on the page.
export const INERT = { apply() {}, roomStatus() {}, connection() {} };
