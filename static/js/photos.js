// Photo evidence: shrink a picked photo, keep it in IndexedDB under its sha-256, upload
// it after the records sync (PUT, safe to repeat), and show it, or a placeholder while
// it has not arrived. Runs in the page and in the service worker (upload only).
import { api } from "./api.js";
import * as db from "./db.js";

/** What the phone sends at most: about 200 KB, the long side 1280 px. */
export const MAX_BYTES = 200 * 1024;
export const LONG_SIDE = 1280;
/** Photos one answer or action may carry (the server's photos_per_record). */
export const PER_RECORD = 3;

const K = new Uint32Array(64);
{
  // SHA-256 round constants: the cube roots of the first 64 primes.
  let n = 0;
  for (let p = 2; n < 64; p++) {
    let prime = true;
    for (let d = 2; d * d <= p; d++) if (p % d === 0) prime = false;
    if (prime) K[n++] = ((Math.cbrt(p) % 1) * 2 ** 32) >>> 0;
  }
}

/** SHA-256 in plain JavaScript, for plain http (a workshop laptop) where crypto.subtle is absent. */
function sha256Plain(bytes) {
  const H = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const length = bytes.length;
  const padded = new Uint8Array((((length + 9 + 63) >> 6) << 6) >>> 0);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 2 ** 29));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const W = new Uint32Array(64);
  const rot = (x, r) => (x >>> r) | (x << (32 - r));
  for (let at = 0; at < padded.length; at += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(at + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      W[i] = W[i - 16] + (rot(a, 7) ^ rot(a, 18) ^ (a >>> 3)) + W[i - 7] + (rot(b, 17) ^ rot(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rot(e, 6) ^ rot(e, 11) ^ rot(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const t2 = ((rot(a, 2) ^ rot(a, 13) ^ rot(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    H[0] += a;
    H[1] += b;
    H[2] += c;
    H[3] += d;
    H[4] += e;
    H[5] += f;
    H[6] += g;
    H[7] += h;
  }
  return [...H].map((x) => x.toString(16).padStart(8, "0")).join("");
}

/** The photo's name: the hex sha-256 of its bytes. */
export async function nameOf(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return [...digest].map((x) => x.toString(16).padStart(2, "0")).join("");
  }
  return sha256Plain(bytes);
}

const encode = (canvas, quality) => new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));

/** Shrink a picked photo to a JPEG of at most MAX_BYTES, its long side at most LONG_SIDE. */
export async function shrink(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  let scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  try {
    for (;;) {
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      // Lower the quality first, then the size, until it fits.
      for (let quality = 0.85; quality >= 0.45; quality -= 0.1) {
        const blob = await encode(canvas, quality);
        if (blob && blob.size <= MAX_BYTES) return blob;
      }
      scale *= 0.75;
    }
  } finally {
    bitmap.close?.();
  }
}

/**
 * Shrink a picked photo and keep it on the phone, waiting to upload; resolves with its
 * name, for the record's `photos`.
 */
export async function keep(file) {
  const blob = await shrink(file);
  const name = await nameOf(blob);
  await db.tx("photos", "readwrite", async (s) => {
    const had = await db.req(s.photos.get(name));
    // The same photo picked twice is one photo; one already sent stays sent.
    if (!had || had.state === "cached") s.photos.put({ name, blob, size: blob.size, state: "pending", at: Date.now() });
  });
  return name;
}

/** Photos waiting to upload: {count, bytes}. */
export async function waiting() {
  const all = await db.all("photos");
  const pending = all.filter((p) => p.state === "pending");
  return { count: pending.length, bytes: pending.reduce((n, p) => n + p.size, 0) };
}

/** Every photo name the phone's records hold (answers and actions). */
async function named() {
  const names = new Set();
  for (const r of await db.all("records")) for (const n of r.fields?.photos || []) names.add(n);
  return names;
}

/**
 * Upload the photos waiting, after the records were pushed. Each PUT is safe to repeat;
 * one that fails waits for the next sync and never holds the records back. A photo no
 * record names any longer (removed before it was sent) is dropped.
 */
export async function upload() {
  const pending = (await db.all("photos")).filter((p) => p.state === "pending");
  if (!pending.length) return 0;
  const wanted = await named();
  const outbox = await db.all("outbox");
  for (const c of outbox) for (const n of c.fields?.photos || []) wanted.add(n);
  let sent = 0;
  for (const p of pending) {
    if (!wanted.has(p.name)) {
      await db.del("photos", p.name);
      continue;
    }
    try {
      await api(`/api/v1/photos/${p.name}`, {
        method: "PUT",
        rawBody: p.blob,
        headers: { "Content-Type": p.blob.type || "image/jpeg" },
        timeout: 60000,
      });
    } catch (e) {
      // 404: the record naming it has not reached the server yet; offline, 5xx: later.
      if (e.status === 413 || e.status === 415 || e.code === "sha256_mismatch") {
        await db.set("photos", p.name, { ...p, state: "refused", error: e.code });
      }
      continue;
    }
    await db.set("photos", p.name, { ...p, state: "sent" });
    sent++;
  }
  return sent;
}

/**
 * The server was restored from a backup (sync.js, bad_cursor): photos it had may be
 * missing, so every photo this phone sent waits to be sent again. A photo the server
 * still has costs one request (200) and is stored once.
 */
export async function resendAll() {
  await db.tx("photos", "readwrite", async (s) => {
    for (const p of await db.req(s.photos.getAll())) if (p.state === "sent") s.photos.put({ ...p, state: "pending" });
  });
}

const urls = new Map();

/**
 * A URL to show a photo (an object URL of the blob), or null while it is on no phone
 * and not on the server yet: the screen then says it is waiting, never a broken image.
 */
export async function photoURL(name) {
  if (urls.has(name)) return urls.get(name);
  let kept = await db.get("photos", name);
  if (!kept && navigator.onLine !== false) {
    try {
      const res = await api(`/api/v1/photos/${name}`, { raw: true, timeout: 20000 });
      if (res.data && (await nameOf(res.data)) === name) {
        kept = { name, blob: res.data, size: res.data.size, state: "cached", at: Date.now() };
        await db.set("photos", name, kept);
      }
    } catch (_) {
      /* not uploaded yet, or offline: a placeholder */
    }
  }
  if (!kept) return null;
  const url = URL.createObjectURL(kept.blob);
  urls.set(name, url);
  return url;
}
