// The hall's check-in code (templates/streaming/check_in_code.html): a fresh code
// every minute, swapped in place.
//
// A timed reload of the whole page (what the page does without JavaScript, through
// a <noscript> refresh) would move a screen reader back to the top and fails WCAG
// 2.2.1; here only the picture and the address change, and nothing is announced.

const PERIOD_MS = 60_000;

const root = document.querySelector("[data-check-in-code]");
const parts = ["[data-check-in-qr]", "[data-check-in-url]"];

async function refresh() {
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const selector of parts) {
      const next = fresh.querySelector(selector);
      const current = root.querySelector(selector);
      if (next && current) current.replaceChildren(...next.childNodes);
    }
  } catch {
    // Offline for a moment: keep the current code and try again next time.
  }
}

if (root) window.setInterval(refresh, PERIOD_MS);
