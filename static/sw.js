// Service worker: a versioned precache of the app shell (cache-first), network-first
// for API reads with the cached answer as fallback, and Background Sync. Data lives
// in IndexedDB, never in these caches, so a new version loses nothing.
import { syncNow } from "/static/js/sync.js";

// Replaced by healthwise/pwa/views.py with a hash of the shell and its file list.
const BUILD = {"version": "dev", "files": []};

const SHELL = `shell-${BUILD.version}`;
const API = "api-v1";
const FILES = new Set(BUILD.files);
const API_WAIT = 6000; // on a bad network, answer from the cache after this long

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // "reload" skips the HTTP cache, so a new version never precaches old files.
    await cache.addAll(BUILD.files.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith("shell-") && key !== SHELL) await caches.delete(key);
    await self.clients.claim();
  })());
});

async function shellFirst(path, request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(path);
  return hit || fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(API);
  const network = fetch(request).then((res) => {
    if (res.status === 200) cache.put(request, res.clone()).catch(() => {});
    return res;
  });
  const cached = await cache.match(request);
  if (!cached) return network;
  return Promise.race([
    network.then((res) => (res.status >= 500 ? cached : res), () => cached),
    new Promise((resolve) => setTimeout(() => resolve(cached), API_WAIT)),
  ]);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Writes (POST /api/v1/sync, enrolment) always go to the network, never to a cache.
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/" || url.pathname === "/index.html") event.respondWith(shellFirst("/", request));
    return;
  }
  if (FILES.has(url.pathname)) {
    event.respondWith(shellFirst(url.pathname, request));
    return;
  }
  if (url.pathname.startsWith("/api/") && !url.pathname.endsWith(".pdf")) event.respondWith(networkFirst(request));
});

self.addEventListener("sync", (event) => {
  // A rejection makes the browser try again later, with its own backoff.
  if (event.tag === "healthwise-sync") event.waitUntil(syncNow());
});
