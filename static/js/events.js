// Events between the parts of the app, and between tabs and the service worker.
// Runs in the page and in the service worker, so it touches neither window nor document.

/**
 * "records" (local data changed), "status" (sync state changed), "revoked" (the
 * server no longer knows this phone's token), "checklist" (a newer checklist is kept),
 * "queued" (a change was added to the outbox; this tab only).
 */
export const bus = new EventTarget();

/** Tell this tab only. */
export const emit = (type, detail) => bus.dispatchEvent(new CustomEvent(type, { detail }));

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("healthwise") : null;
if (channel) channel.onmessage = (e) => emit(e.data, { remote: true });

/** Tell this tab, the other tabs and the service worker. */
export function announce(type) {
  emit(type);
  if (channel) channel.postMessage(type);
}
