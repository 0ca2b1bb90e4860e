// The high-contrast option: a toggle in the header (templates/base.html) that
// sets <html data-contrast="high"> and remembers the choice in localStorage.
//
// Loaded as a classic, blocking script in <head> so the chosen theme applies
// before the first paint (no flash of the default colours). Without JavaScript
// the toggle stays hidden and the default theme, AA already, applies. A classic
// script shares the page's globals: everything stays inside the function.

(() => {
  const KEY = "plenary.contrast";
  const root = document.documentElement;

  function stored() {
    try {
      return window.localStorage.getItem(KEY) === "high";
    } catch {
      return false; // storage blocked (private mode, policy): the default theme
    }
  }

  function apply(high) {
    if (high) root.dataset.contrast = "high";
    else delete root.dataset.contrast;
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", () => {
    const toggle = document.querySelector("[data-contrast-toggle]");
    if (!toggle) return;
    toggle.setAttribute("aria-pressed", String(root.dataset.contrast === "high"));
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const high = root.dataset.contrast !== "high";
      apply(high);
      toggle.setAttribute("aria-pressed", String(high));
      try {
        window.localStorage.setItem(KEY, high ? "high" : "default");
      } catch {
        // Not remembered: it still applies on this page.
      }
    });
  });
})();
