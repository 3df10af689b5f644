// The workshop's live view (a trainer's page, not the phone app): every few seconds ask
// the server whether the figures changed (a 304 when not, which costs it two queries) and,
// when they did, put the new fragment in place: no reload, the page keeps its scroll.
const EVERY_MS = 3000;
const panel = document.getElementById("live-panel");
let etag = null;

async function refresh() {
  try {
    const headers = etag ? { "If-None-Match": etag } : {};
    const response = await fetch(panel.dataset.src, { headers, credentials: "same-origin" });
    if (response.status === 200) {
      etag = response.headers.get("ETag");
      const html = await response.text();
      const fresh = new DOMParser().parseFromString(html, "text/html").body;
      // What the trainer opened stays open.
      const opened = [...panel.querySelectorAll("details[open]")].map((d) => d.id);
      panel.replaceChildren(...fresh.childNodes);
      for (const id of opened) document.getElementById(id)?.setAttribute("open", "");
      panel.dataset.refreshed = String(Number(panel.dataset.refreshed || 0) + 1);
    }
  } catch {
    // Offline for a moment (the projector's wifi): try again at the next tick.
  }
  setTimeout(refresh, EVERY_MS);
}

if (panel) setTimeout(refresh, EVERY_MS);
