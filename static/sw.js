// Service worker: a versioned precache of the app shell (cache-first) and Background
// Sync. It caches nothing else: API answers the phone keeps for offline use live in
// IndexedDB (static/js/cache.js), with the rest of its data, so a new version loses
// nothing and "forget this facility" has one place to clear.
import { syncNow } from "/static/js/sync.js";

// Replaced by healthwise/pwa/views.py with a hash of the shell and its file list.
const BUILD = { version: "dev", files: [] };

const SHELL = `shell-${BUILD.version}`;
const FILES = new Set(BUILD.files);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      // "reload" skips the HTTP cache, so a new version never precaches old files.
      await cache.addAll(BUILD.files.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Older shells, and the API cache that versions before this one kept.
      for (const key of await caches.keys()) if (key !== SHELL) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function shellFirst(path, request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(path);
  return hit || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Everything but the shell (the API, writes, PDFs) goes to the network as it is.
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/" || url.pathname === "/index.html") event.respondWith(shellFirst("/", request));
    return;
  }
  if (FILES.has(url.pathname)) event.respondWith(shellFirst(url.pathname, request));
});

self.addEventListener("sync", (event) => {
  // A rejection makes the browser try again later, with its own backoff.
  if (event.tag === "healthwise-sync") event.waitUntil(syncNow());
});
