// Network: the API client, the outbox and the sync loop (docs: sync-protocol.md).
// Runs in the page and in the service worker (Background Sync), so it touches
// neither window nor document.
import * as db from "./db.js";

export const CHECKLIST_ID = "healthwise";
const BATCH = 200;
const KEEP = new Set(["applied", "duplicate", "merged", "conflict"]);
const scope = globalThis;
const isWindow = typeof scope.document !== "undefined";

/** Events: "records" (local data changed), "status" (sync state changed), "revoked". */
export const bus = new EventTarget();
const emit = (type, detail) => bus.dispatchEvent(new CustomEvent(type, { detail }));
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("healthwise") : null;
if (channel) channel.onmessage = (e) => emit(e.data, { remote: true });
function announce(type) {
  emit(type);
  if (channel) channel.postMessage(type);
}

/** A random UUID; crypto.randomUUID only exists in secure contexts (not on http LANs). */
export function uuid() {
  if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function deviceId() {
  let id = await db.get("meta", "device_id");
  if (!id) {
    id = uuid();
    await db.set("meta", "device_id", id);
  }
  return id;
}

// ---- API ------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body, headers) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "";
    this.details = err.details;
    this.retryAfter = Number(headers && headers.get("Retry-After")) || 0;
  }
}
export class OfflineError extends Error {}

/** fetch JSON from the API with the device token; throws ApiError / OfflineError. */
export async function api(path, { method = "GET", body, auth = true, timeout = 20000, headers = {}, raw = false } = {}) {
  const h = { Accept: raw ? "*/*" : "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (auth) {
    const token = await db.get("meta", "token");
    if (token) h.Authorization = `Bearer ${token}`;
  }
  const ctl = typeof AbortController === "function" ? new AbortController() : null;
  const timer = ctl && setTimeout(() => ctl.abort(), timeout);
  let res;
  try {
    res = await fetch(path, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl && ctl.signal, credentials: "same-origin", cache: "no-store",
    });
  } catch (e) {
    throw new OfflineError(e.message);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 304) return { status: 304, data: null, headers: res.headers };
  if (raw && res.ok) return { status: res.status, data: await res.blob(), headers: res.headers };
  let data = null;
  try { data = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    if (res.status === 401 && auth) await markRevoked();
    throw new ApiError(res.status, data, res.headers);
  }
  return { status: res.status, data, headers: res.headers };
}

async function markRevoked() {
  const token = await db.get("meta", "token");
  if (!token) return;
  await db.set("meta", "revoked", true);
  announce("revoked");
  announce("status");
}

// ---- local edits ------------------------------------------------------------

/** Effective fields: what the server said, then every change still kept, in order. */
function effective(rec, outbox) {
  const f = { ...rec.server };
  for (const c of outbox) if (c.id === rec.id) Object.assign(f, c.fields);
  return f;
}

/**
 * Record one user edit: update the record and append a change to the outbox,
 * atomically. Returns the record. Creates the record when it does not exist.
 */
export async function edit(type, id, fields) {
  const rec = await db.tx(["records", "outbox"], "readwrite", async (s) => {
    let r = await db.req(s.records.get(id));
    if (!r) r = { id, type, rev: null, server: {}, fields: {}, conflicts: [], created: Date.now() };
    Object.assign(r.fields, fields);
    r.parent = db.parentOf(type, r.fields);
    r.updated = Date.now();
    s.records.put(r);
    s.outbox.add({
      change_id: uuid(), type, id, base_rev: r.rev ?? null, fields,
      status: "pending", at: new Date().toISOString(),
    });
    return r;
  });
  announce("records");
  announce("status");
  afterEdit();
  return rec;
}

/** Create a record of this type; returns it. */
export const create = (type, fields) => edit(type, uuid(), fields);

/** Drop a rejected change and show the record as it was without it. */
export async function discard(seq) {
  await db.tx(["records", "outbox"], "readwrite", async (s) => {
    const c = await db.req(s.outbox.get(seq));
    if (!c) return;
    s.outbox.delete(seq);
    const rest = (await db.req(s.outbox.index("id").getAll(c.id))).filter((x) => x.seq !== seq);
    const r = await db.req(s.records.get(c.id));
    if (!r) return;
    if (r.rev === null && !rest.length) {
      s.records.delete(r.id);
      return;
    }
    r.fields = effective(r, rest);
    r.parent = db.parentOf(r.type, r.fields);
    s.records.put(r);
  });
  announce("records");
  announce("status");
}

/** Send a rejected change again, as a new change (the old change_id was refused). */
export async function retry(seq) {
  await db.tx("outbox", "readwrite", async (s) => {
    const c = await db.req(s.outbox.get(seq));
    if (!c) return;
    s.outbox.delete(seq);
    s.outbox.add({ ...c, seq: undefined, change_id: uuid(), status: "pending", error: null, at: new Date().toISOString() });
  });
  announce("status");
  afterEdit();
}

// ---- sync ---------------------------------------------------------------

const state = { syncing: false, error: null, failures: 0, next: 0 };
let running = null;
let timer = null;

export async function status() {
  const [outbox, records, m] = await Promise.all([
    db.all("outbox"), db.all("records"), db.metas(["last_sync", "revoked", "token"]),
  ]);
  const pendingFields = new Set(outbox.map((c) => `${c.id} ${Object.keys(c.fields).join(" ")}`));
  const conflicts = [];
  for (const r of records) {
    for (const c of r.conflicts || []) {
      // A later change on that field (still in the outbox) is the user's choice.
      const chosen = outbox.some((o) => o.id === r.id && c.field in o.fields);
      if (!chosen) conflicts.push({ record: r, conflict: c });
    }
  }
  return {
    pending: outbox.filter((c) => c.status === "pending").length,
    rejected: outbox.filter((c) => c.status === "rejected"),
    outbox,
    conflicts,
    lastSync: m.last_sync || null,
    revoked: !!m.revoked,
    enrolled: !!m.token,
    online: scope.navigator ? navigator.onLine !== false : true,
    syncing: state.syncing,
    error: state.error,
    pendingFields,
  };
}

/** Apply one sync response, with the batch it answers, in one transaction. */
async function apply(data, sent) {
  await db.tx(["records", "outbox", "meta"], "readwrite", async (s) => {
    const recs = new Map();
    const load = async (id) => {
      if (!recs.has(id)) recs.set(id, await db.req(s.records.get(id)));
      return recs.get(id);
    };
    const bySent = new Map(sent.map((c) => [c.change_id, c]));
    for (const r of data.results || []) {
      const c = bySent.get(r.change_id);
      if (!c) continue;
      const rec = await load(c.id);
      if (KEEP.has(r.status)) {
        s.outbox.delete(c.seq);
        if (rec) {
          if (r.status !== "conflict") {
            Object.assign(rec.server, c.fields);
            // A change accepted on the current state wins its fields outright: the
            // server closes their open conflicts (and need not send the record back).
            rec.conflicts = (rec.conflicts || []).filter((x) => !(x.field in c.fields));
          }
          if (typeof r.rev === "number" && (rec.rev === null || r.rev > rec.rev)) rec.rev = r.rev;
        }
      } else if (r.status === "rejected") {
        s.outbox.put({ ...c, status: "rejected", error: r.error || { message: "" } });
      }
    }
    for (const ch of data.changes || []) {
      let rec = await load(ch.id);
      if (!rec) {
        rec = { id: ch.id, type: ch.type, rev: null, server: {}, fields: {}, conflicts: [] };
        recs.set(ch.id, rec);
      }
      if (rec.rev !== null && typeof ch.rev === "number" && ch.rev < rec.rev) continue;
      Object.assign(rec.server, ch.fields || {});
      rec.rev = ch.rev ?? rec.rev;
      rec.conflicts = ch.conflicts || [];
    }
    const outbox = await db.req(s.outbox.getAll());
    for (const rec of recs.values()) {
      if (!rec) continue;
      rec.fields = effective(rec, outbox);
      rec.parent = db.parentOf(rec.type, rec.fields);
      s.records.put(rec);
    }
    if (data.cursor !== undefined) s.meta.put(data.cursor, "cursor");
  });
}

const wire = ({ change_id, type, id, base_rev, fields }) => ({ change_id, type, id, base_rev, fields });

async function post(device_id, cursor, changes) {
  return api("/api/v1/sync", { method: "POST", body: { device_id, cursor, changes: changes.map(wire) }, timeout: 45000 });
}

/** Find the change that makes a whole batch invalid (400/422) and set it aside as rejected. */
async function isolate(device_id, cursor, batch) {
  for (const c of batch) {
    try {
      const res = await post(device_id, cursor, [c]);
      await apply({ ...res.data, changes: [], cursor: undefined }, [c]);
    } catch (e) {
      if (!(e instanceof ApiError) || ![400, 422].includes(e.status)) throw e;
      await db.set("outbox", null, { ...c, status: "rejected", error: { code: e.code, message: e.message } });
    }
  }
}

async function run() {
  const m = await db.metas(["token", "revoked"]);
  if (!m.token || m.revoked) return false;
  const device_id = await deviceId();
  let size = BATCH;
  for (let round = 0; round < 200; round++) {
    const outbox = await db.all("outbox");
    const batch = outbox.filter((c) => c.status === "pending").slice(0, size);
    const cursor = (await db.get("meta", "cursor")) ?? null;
    let res;
    try {
      res = await post(device_id, cursor, batch);
    } catch (e) {
      if (e instanceof ApiError && e.status === 413 && size > 1) {
        size = Math.max(1, Math.floor(size / 2));
        continue;
      }
      if (e instanceof ApiError && [400, 422].includes(e.status)) {
        if (batch.length) {
          await isolate(device_id, cursor, batch);
          continue;
        }
        if (cursor !== null) {
          // The server no longer understands our cursor: pull everything again.
          await db.set("meta", "cursor", null);
          continue;
        }
      }
      throw e;
    }
    await apply(res.data || {}, batch);
    announce("records");
    if (!(res.data && res.data.more) && batch.length < size) break;
  }
  await db.set("meta", "last_sync", Date.now());
  return true;
}

/** Sync now: push the outbox, pull until done. Resolves true on success. */
export function syncNow() {
  if (running) return running;
  clearTimeout(timer);
  // Known to be offline: wait for the "online" event instead of failing a request.
  if (scope.navigator && navigator.onLine === false) return Promise.reject(new OfflineError("offline"));
  state.syncing = true;
  announce("status");
  const work = () => run();
  const locked = scope.navigator && navigator.locks ? navigator.locks.request("healthwise-sync", work) : work();
  running = locked.then(
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
  ).finally(() => {
    running = null;
    state.syncing = false;
    announce("status");
  });
  return running;
}

/** Sync a little later (coalesces bursts of edits). */
export function schedule(delay = 1500) {
  clearTimeout(timer);
  timer = setTimeout(() => syncNow().catch(() => {}), delay);
}

async function afterEdit() {
  if (!isWindow) return;
  // Background Sync lets the browser send the outbox after the tab is closed.
  try {
    const reg = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    if (reg && reg.sync) await reg.sync.register("healthwise-sync");
  } catch (_) { /* not available or refused: the page syncs itself */ }
  if (navigator.onLine !== false) schedule(state.failures ? Math.max(1500, state.next - Date.now()) : 1500);
}

if (isWindow) {
  scope.addEventListener("online", () => {
    state.failures = 0;
    schedule(300);
  });
  scope.addEventListener("offline", () => announce("status"));
}

// ---- enrolment and read-only data ------------------------------------------

/** Exchange an enrolment code for a device token; keep it with the scope. */
export async function enrol(code, deviceName) {
  const res = await api("/api/v1/enrol", { method: "POST", body: { code, device_name: deviceName }, auth: false });
  const { token, scope: sc } = res.data;
  const prev = await db.get("meta", "scope");
  const prevFacility = prev && prev.facility && prev.facility.id;
  if (prevFacility && sc.facility && prevFacility !== sc.facility.id) {
    // Another facility: its records and cursor are not this one's.
    await db.wipe(["records", "outbox"], ["cursor", "last_sync", "plans"]);
  }
  await db.tx("meta", "readwrite", async (s) => {
    s.meta.put(token, "token");
    s.meta.put(sc, "scope");
    s.meta.put(deviceName, "device_name");
    s.meta.delete("revoked");
  });
  await deviceId();
  announce("status");
  return sc;
}

/** Ask the server whether this phone is still enrolled (a 401 marks it revoked). */
export async function checkMe() {
  try {
    const res = await api("/api/v1/me", { timeout: 10000 });
    if (res.data && res.data.scope) await db.set("meta", "scope", res.data.scope);
    return true;
  } catch (_) {
    return false;
  }
}

/**
 * The checklist in this language: from IndexedDB at once if we have it, refreshed
 * from the network (ETag) when we can. Falls back to any language we have.
 */
export async function checklist(lang, { refresh = true } = {}) {
  const key = `${CHECKLIST_ID}:${lang}`;
  const have = await db.get("checklists", key);
  const fetchIt = async () => {
    const headers = have && have.etag ? { "If-None-Match": have.etag } : {};
    const res = await api(`/api/v1/checklists/${CHECKLIST_ID}?lang=${encodeURIComponent(lang)}`, { auth: false, headers, timeout: 30000 });
    if (res.status === 304) return have;
    const cl = { ...res.data, etag: res.headers.get("ETag") || "" };
    await db.set("checklists", key, cl);
    return cl;
  };
  if (have) {
    if (refresh) fetchIt().then((cl) => cl !== have && announce("checklist"), () => {});
    return have;
  }
  try {
    return await fetchIt();
  } catch (e) {
    const keys = await db.keys("checklists");
    const other = keys.find((k) => k === `${CHECKLIST_ID}:en`) || keys.find((k) => k.startsWith(`${CHECKLIST_ID}:`));
    if (other) return db.get("checklists", other);
    throw e;
  }
}

/** The suggested plan of a round: network first, cached in meta for offline. */
export async function plan(assessmentId) {
  const key = `plan:${assessmentId}`;
  try {
    const res = await api(`/api/v1/assessments/${encodeURIComponent(assessmentId)}/plan`, { timeout: 15000 });
    const p = { ...res.data, fetched: Date.now() };
    await db.set("meta", key, p);
    if (Array.isArray(p.items) && p.items.length) {
      await apply({ results: [], changes: p.items.map(asChange) }, []);
      announce("records");
    }
    return p;
  } catch (e) {
    const cached = await db.get("meta", key);
    if (cached) return { ...cached, stale: true, error: e };
    throw e;
  }
}

/** Plan items may come as records ({id, rev, fields}) or flat objects. */
function asChange(item) {
  if (item.fields) return { type: "action_item", ...item };
  const { id, rev, conflicts, type, ...fields } = item;
  return { type: type || "action_item", id, rev, fields, conflicts: conflicts || [] };
}

/** Fetch the plan PDF now (with the bearer header): a Blob. */
export async function planPdf(assessmentId, lang) {
  const res = await api(`/api/v1/assessments/${encodeURIComponent(assessmentId)}/plan.pdf?lang=${encodeURIComponent(lang)}`, { raw: true, timeout: 60000 });
  return res.data;
}
