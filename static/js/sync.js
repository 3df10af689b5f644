// The sync loop (docs: sync-protocol.md): push the outbox, pull until done, with
// backoff; and the sync state the screens show. Runs in the page and in the service
// worker (Background Sync), so it touches neither window nor document.
import { ApiError, api, OfflineError } from "./api.js";
import * as db from "./db.js";
import { deviceId, refreshWorkshop } from "./enrol.js";
import { announce, bus } from "./events.js";
import { limits, refreshLimits } from "./limits.js";
import { apply, behind, replay, setAsideAlone, stuckCreates } from "./outbox.js";
import { resendAll, upload, waiting } from "./photos.js";

const BATCH = 200;
const scope = globalThis;
const isWindow = typeof scope.document !== "undefined";
const state = { syncing: false, error: null, failures: 0, next: 0 };
let running = null;
let timer = null;

/** What the sync card and the pill show. */
export async function status() {
  const [outbox, records, m, photos] = await Promise.all([
    db.all("outbox"),
    db.all("records"),
    db.metas(["last_sync", "revoked", "token"]),
    waiting(),
  ]);
  const conflicts = [];
  for (const r of records) {
    // Nobody on the phone can settle those: the managers do, on the server.
    if (db.READ_ONLY.has(r.type)) continue;
    for (const c of r.conflicts || []) {
      // A later change on that field (still in the outbox) is the user's choice.
      const chosen = outbox.some((o) => o.type === r.type && o.id === r.id && c.field in o.fields);
      if (!chosen) conflicts.push({ record: r, conflict: c });
    }
    // A value of this phone that a newer change of another phone replaced (outbox.js).
    for (const c of r.overwritten || []) conflicts.push({ record: r, conflict: { ...c, overwritten: true } });
  }
  return {
    pending: outbox.filter((c) => c.status === "pending").length,
    // Set aside: refused by the server, or failing alone; they wait for the user.
    stuck: outbox.filter((c) => c.status !== "pending"),
    outbox,
    conflicts,
    // Photos still to upload: {count, bytes}. They go after the records, apart.
    photos,
    lastSync: m.last_sync || null,
    revoked: !!m.revoked,
    workshopClosed: m.revoked === "workshop_closed",
    enrolled: !!m.token,
    online: scope.navigator ? navigator.onLine !== false : true,
    syncing: state.syncing,
    error: state.error,
  };
}

const wire = ({ change_id, type, id, base_rev, fields }) => ({ change_id, type, id, base_rev, fields });

async function post(device_id, cursor, changes) {
  const body = { device_id, cursor, changes: changes.map(wire) };
  return api("/api/v1/sync", { method: "POST", body, timeout: 45000 });
}

/** A cursor the server never issued (say, after a restore), or one it cannot even read. */
const unknownCursor = (e, cursor) =>
  cursor !== null && (e.code === "bad_cursor" || (e.status === 422 && e.details && e.details.cursor));

/** Offline, a timeout, a revoked token or "too many requests": try it all later. */
const later = (e) => !(e instanceof ApiError) || e.status === 401 || e.status === 429;

async function run() {
  const m = await db.metas(["token", "revoked"]);
  if (!m.token || m.revoked) return false;
  const device_id = await deviceId();
  await refreshLimits({ once: true });
  // A change that failed in an earlier sync gets one more try, alone, first: the
  // server may have been fixed since, and the changes waiting behind it go next.
  for (const c of (await db.all("outbox")).filter((x) => x.status === "failed")) {
    const cursor = (await db.get("meta", "cursor")) ?? null;
    try {
      await apply((await post(device_id, cursor, [c])).data || {}, [c]);
    } catch (e) {
      if (later(e)) throw e;
      if (unknownCursor(e, cursor)) {
        await replay();
        await resendAll();
        break; // the loop below sends everything again, this change in its turn
      }
      await setAsideAlone(c, e);
    }
  }
  // Never more changes in one request than the server takes.
  const most = Math.min(BATCH, (await limits()).changes_per_request || BATCH);
  let size = most;
  let probed = false;
  for (let round = 0; round < 200; round++) {
    const outbox = await db.all("outbox");
    const waits = behind(outbox, stuckCreates(outbox));
    const batch = outbox.filter((c) => c.status === "pending" && !waits.has(c.seq)).slice(0, size);
    const cursor = (await db.get("meta", "cursor")) ?? null;
    let res;
    try {
      res = await post(device_id, cursor, batch);
    } catch (e) {
      if (later(e)) throw e;
      if (unknownCursor(e, cursor)) {
        // The server was restored from an older backup (or is another server): send
        // again what it acknowledged (the journal) before pulling everything again, in
        // the same requests, so its older state never comes back over this phone's.
        await replay();
        await resendAll();
        continue;
      }
      if (!batch.length) throw e;
      if (!probed) {
        // This batch, or the server or the request (down, a 403...)? A request with no
        // change tells (it throws in the second case) and pulls meanwhile.
        probed = true;
        await apply((await post(device_id, cursor, [])).data || {}, []);
      }
      // Something in the batch fails: halve it until the change at fault is alone,
      // then set that change aside so that it never holds the outbox back.
      if (batch.length > 1) {
        size = Math.ceil(batch.length / 2);
        continue;
      }
      await setAsideAlone(batch[0], e);
      size = most;
      announce("status");
      continue;
    }
    const again = await apply(res.data || {}, batch);
    // A sync with nothing new (the group view asks every few seconds) re-renders nothing.
    if (batch.length || res.data?.changes?.length) announce("records");
    if (!again && !res.data?.more && batch.length < size) break;
  }
  // Photos after the records that name them (the server takes only named photos). A
  // photo that fails waits for the next sync; it never fails this one.
  try {
    if (await upload()) announce("records");
  } catch (_) {
    /* offline meanwhile, or a storage error: next time */
  }
  // The trainer may have placed this phone in a group since (no record changes then).
  await refreshWorkshop();
  await db.set("meta", "last_sync", Date.now());
  return true;
}

/**
 * Sync now: push the outbox, pull until done. Resolves true on success. `quiet`: a
 * background check (the group view's, every few seconds) that does not show
 * "Syncing…" each time; it still tells when it failed.
 */
export function syncNow({ quiet = false } = {}) {
  if (running) return running;
  clearTimeout(timer);
  // Known to be offline: wait for the "online" event instead of failing a request.
  if (scope.navigator && navigator.onLine === false) return Promise.reject(new OfflineError("offline"));
  state.syncing = !quiet;
  if (!quiet) announce("status");
  const work = () => run();
  const locked = scope.navigator && navigator.locks ? navigator.locks.request("healthwise-sync", work) : work();
  running = locked
    .then(
      (ok) => {
        state.error = null;
        state.failures = 0;
        return ok;
      },
      (e) => {
        state.error = e;
        if (e instanceof ApiError && e.status === 401) return false;
        state.failures += 1;
        // Exponential backoff with jitter: 2 s, 4 s, 8 s ... at most 5 minutes.
        const base = Math.min(300000, 2000 * 2 ** Math.min(state.failures, 8));
        const wait = Math.max(e.retryAfter ? e.retryAfter * 1000 : 0, base * (0.5 + Math.random()));
        state.next = Date.now() + wait;
        if (isWindow) schedule(wait);
        throw e;
      },
    )
    .finally(() => {
      running = null;
      state.syncing = false;
      if (!quiet || state.error) announce("status");
    });
  return running;
}

/** Sync a little later (coalesces bursts of edits). */
export function schedule(delay = 1500) {
  clearTimeout(timer);
  timer = setTimeout(() => syncNow().catch(() => {}), delay);
}

/** A change is in the outbox: send it soon, from this page or, once closed, from the service worker. */
async function queued() {
  // Background Sync lets the browser send the outbox after the tab is closed.
  try {
    const reg = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    if (reg?.sync) await reg.sync.register("healthwise-sync");
  } catch (_) {
    /* not available or refused: the page syncs itself */
  }
  if (navigator.onLine !== false) schedule(state.failures ? Math.max(1500, state.next - Date.now()) : 1500);
}

if (isWindow) {
  bus.addEventListener("queued", queued);
  scope.addEventListener("online", () => {
    state.failures = 0;
    schedule(300);
  });
  scope.addEventListener("offline", () => announce("status"));
}
