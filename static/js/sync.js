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

// ---- limits ---------------------------------------------------------------

/**
 * The server's limits (GET /api/v1/limits): {fields: {type: {field: max characters}}, ...}.
 * Kept in meta so they hold offline; empty until the phone has reached the server once
 * (the server checks again in any case).
 */
export const limits = async () => (await db.get("meta", "limits")) || { fields: {} };

/** Max lengths of one record type's text fields: {field: n}. */
export const maxLengths = async (type) => (await limits()).fields[type] || {};

let limitsFetched = false;
async function refreshLimits() {
  try {
    const res = await api("/api/v1/limits", { auth: false, timeout: 10000 });
    if (res.data && res.data.fields) await db.set("meta", "limits", res.data);
    limitsFetched = true;
  } catch (_) { /* keep the numbers we have */ }
}

/** An edit with a text longer than the server takes: nothing was saved. */
export class LimitError extends Error {
  constructor(field, max) {
    super(`${field}: at most ${max} characters`);
    this.field = field;
    this.max = max;
  }
}

// ---- local edits ------------------------------------------------------------

const same = (a, b) => a.type === b.type && a.id === b.id;
const keyOf = (x) => [x.type, x.id];
const bySeq = (a, b) => a.seq - b.seq;
const PARENT_TYPE = { response: "assessment", answer: "response", action_item: "assessment" };

/**
 * The changes (seqs) that wait behind the creates of `roots` ("type id" of records the
 * server does not have): the changes of their children, grandchildren..., which the
 * server would refuse until their parent is there.
 */
function behind(outbox, roots) {
  const held = new Set(roots);
  const out = new Set();
  for (const c of [...outbox].sort(bySeq)) {
    const parent = c.fields[db.PARENT[c.type]];
    if (held.has(`${c.type} ${c.id}`) || (parent && held.has(`${PARENT_TYPE[c.type]} ${parent}`))) {
      out.add(c.seq);
      held.add(`${c.type} ${c.id}`);
    }
  }
  return out;
}

/** Roots for behind(): records whose create is set aside. */
const stuckCreates = (outbox) => outbox.filter((c) => c.status !== "pending" && c.base_rev === null).map((c) => `${c.type} ${c.id}`);

/** Effective fields: what the server said, then every change still kept, in order. */
function effective(rec, outbox) {
  const f = { ...rec.server };
  for (const c of outbox) if (same(c, rec)) Object.assign(f, c.fields);
  return f;
}

/**
 * Record one user edit: update the record and append a change to the outbox,
 * atomically. Returns the record. Creates the record when it does not exist.
 * Throws LimitError (and saves nothing) for a text over the server's limit.
 */
export async function edit(type, id, fields) {
  const max = await maxLengths(type);
  for (const [k, v] of Object.entries(fields)) {
    // The server counts characters (code points), not UTF-16 units.
    if (typeof v === "string" && max[k] && [...v].length > max[k]) throw new LimitError(k, max[k]);
  }
  const rec = await db.tx(["records", "outbox"], "readwrite", async (s) => {
    let r = await db.req(s.records.get([type, id]));
    if (!r) r = { id, type, rev: null, server: {}, fields: {}, conflicts: [], created: Date.now() };
    Object.assign(r.fields, fields);
    r.parent = db.parentOf(type, r.fields);
    r.updated = Date.now();
    s.records.put(r);
    const at = new Date().toISOString();
    const aside = (await db.req(s.outbox.index("record").getAll([type, id]))).filter((c) => c.status !== "pending");
    const create = r.rev === null && aside.find((c) => c.base_rev === null);
    if (create) {
      // The server never got this record: the edit goes into its create, sent again as new.
      s.outbox.put({ ...create, fields: { ...create.fields, ...fields }, change_id: uuid(), status: "pending", error: null, tries: 0, at });
      return r;
    }
    // A newer value replaces a value set aside; a change set aside with nothing left goes.
    for (const c of aside) {
      for (const k of Object.keys(fields)) delete c.fields[k];
      if (Object.keys(c.fields).length) s.outbox.put(c);
      else s.outbox.delete(c.seq);
    }
    s.outbox.add({ change_id: uuid(), type, id, base_rev: r.rev ?? null, fields, status: "pending", at });
    return r;
  });
  announce("records");
  announce("status");
  afterEdit();
  return rec;
}

/** Create a record of this type; returns it. */
export const create = (type, fields) => edit(type, uuid(), fields);

/** The changes that discard(seq) deletes: it, and those waiting behind it. */
export async function discarded(seq) {
  const outbox = await db.all("outbox");
  const c = outbox.find((x) => x.seq === seq);
  if (!c) return [];
  return [c, ...(c.base_rev === null ? outbox.filter((x) => behind(outbox, [`${c.type} ${c.id}`]).has(x.seq) && !same(x, c)) : [])];
}

/**
 * Drop a change set aside and show the record as it was without it. A create takes
 * with it the changes waiting behind it (see discarded()): they could never be sent.
 */
export async function discard(seq) {
  const gone = await discarded(seq);
  await db.tx(["records", "outbox"], "readwrite", async (s) => {
    const c = await db.req(s.outbox.get(seq));
    if (!c) return;
    for (const x of gone) s.outbox.delete(x.seq);
    for (const x of gone.slice(1)) {
      const r = await db.req(s.records.get(keyOf(x)));
      if (r && r.rev === null) s.records.delete(keyOf(r));
    }
    const rest = (await db.req(s.outbox.index("record").getAll(keyOf(c)))).filter((x) => x.seq !== seq);
    const r = await db.req(s.records.get(keyOf(c)));
    if (!r) return;
    if (r.rev === null && !rest.length) {
      s.records.delete(keyOf(r));
      return;
    }
    r.fields = effective(r, rest);
    r.parent = db.parentOf(r.type, r.fields);
    s.records.put(r);
  });
  announce("records");
  announce("status");
}

/** Send a change set aside again, as a new change (the server refused the old change_id). */
export async function retry(seq) {
  await db.tx("outbox", "readwrite", async (s) => {
    const c = await db.req(s.outbox.get(seq));
    if (!c) return;
    s.outbox.delete(seq);
    s.outbox.add({ ...c, seq: undefined, change_id: uuid(), status: "pending", error: null, tries: 0, at: new Date().toISOString() });
  });
  announce("status");
  afterEdit();
}

/**
 * Set a change aside ("rejected" or "failed") so that it holds nothing back. A record
 * the server has never had keeps one change aside, its create: the record's other
 * changes are folded into it, in order, so that fixing it sends the whole record.
 * `rec` is the record as the caller's transaction has it.
 */
async function setAside(s, rec, seq, status, error) {
  const c = await db.req(s.outbox.get(seq));
  if (!c) return; // already folded into its create
  let aside = { ...c, status, error, tries: (c.tries || 0) + 1 };
  if (c.base_rev === null && rec && rec.rev === null) {
    const mine = (await db.req(s.outbox.index("record").getAll(keyOf(c)))).sort(bySeq);
    aside = { ...mine[0], status, error, tries: aside.tries, fields: Object.assign({}, ...mine.map((x) => x.fields)) };
    for (const x of mine.slice(1)) s.outbox.delete(x.seq);
  }
  s.outbox.put(aside);
}

/**
 * Bring back changes saved in an export file (see settings.js): add those not already
 * in the outbox, with their own change_id (the server stores each once), and show them.
 * Returns how many were added.
 */
export async function bringBack(changes) {
  let added = 0;
  await db.tx(["records", "outbox"], "readwrite", async (s) => {
    const have = new Set((await db.req(s.outbox.getAll())).map((c) => c.change_id));
    const touched = new Map();
    for (const { change_id, type, id, base_rev, fields } of changes) {
      if (have.has(change_id) || !db.PARENT[type] || !id || !fields) continue;
      have.add(change_id);
      s.outbox.add({ change_id, type, id, base_rev: base_rev ?? null, fields, status: "pending", at: new Date().toISOString() });
      added++;
      const k = `${type} ${id}`;
      if (!touched.has(k)) {
        touched.set(k, (await db.req(s.records.get([type, id])))
          || { id, type, rev: null, server: {}, fields: {}, conflicts: [], created: Date.now() });
      }
    }
    const outbox = await db.req(s.outbox.getAll());
    for (const r of touched.values()) {
      r.fields = effective(r, outbox);
      r.parent = db.parentOf(r.type, r.fields);
      s.records.put(r);
    }
  });
  announce("records");
  announce("status");
  afterEdit();
  return added;
}

// ---- sync ---------------------------------------------------------------

const state = { syncing: false, error: null, failures: 0, next: 0 };
let running = null;
let timer = null;

export async function status() {
  const [outbox, records, m] = await Promise.all([
    db.all("outbox"), db.all("records"), db.metas(["last_sync", "revoked", "token"]),
  ]);
  const conflicts = [];
  for (const r of records) {
    for (const c of r.conflicts || []) {
      // A later change on that field (still in the outbox) is the user's choice.
      const chosen = outbox.some((o) => same(o, r) && c.field in o.fields);
      if (!chosen) conflicts.push({ record: r, conflict: c });
    }
  }
  return {
    pending: outbox.filter((c) => c.status === "pending").length,
    // Set aside: refused by the server, or failing alone; they wait for the user.
    stuck: outbox.filter((c) => c.status !== "pending"),
    outbox,
    conflicts,
    lastSync: m.last_sync || null,
    revoked: !!m.revoked,
    enrolled: !!m.token,
    online: scope.navigator ? navigator.onLine !== false : true,
    syncing: state.syncing,
    error: state.error,
  };
}

/** Apply one sync response, with the batch it answers, in one transaction. */
async function apply(data, sent) {
  await db.tx(["records", "outbox", "meta"], "readwrite", async (s) => {
    const recs = new Map();
    const load = async (type, id) => {
      const k = `${type} ${id}`;
      if (!recs.has(k)) recs.set(k, await db.req(s.records.get([type, id])));
      return recs.get(k);
    };
    const bySent = new Map(sent.map((c) => [c.change_id, c]));
    for (const r of data.results || []) {
      const c = bySent.get(r.change_id);
      if (!c) continue;
      const rec = await load(c.type, c.id);
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
        await setAside(s, rec, c.seq, "rejected", r.error || { message: "" });
      }
    }
    for (const ch of data.changes || []) {
      let rec = await load(ch.type, ch.id);
      if (!rec) {
        rec = { id: ch.id, type: ch.type, rev: null, server: {}, fields: {}, conflicts: [] };
        recs.set(`${ch.type} ${ch.id}`, rec);
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

/** Set aside a change that failed when sent alone: refused (4xx) or failing (5xx). */
function setAsideAlone(c, e) {
  const status = e.status >= 500 ? "failed" : "rejected";
  const error = { code: e.code || `http_${e.status}`, message: e.message, status: e.status };
  return db.tx(["records", "outbox"], "readwrite", async (s) => setAside(s, await db.req(s.records.get(keyOf(c))), c.seq, status, error));
}

async function run() {
  const m = await db.metas(["token", "revoked"]);
  if (!m.token || m.revoked) return false;
  const device_id = await deviceId();
  if (!limitsFetched) await refreshLimits();
  // A change that failed in an earlier sync gets one more try, alone, first: the
  // server may have been fixed since, and the changes waiting behind it go next.
  for (const c of (await db.all("outbox")).filter((x) => x.status === "failed")) {
    const cursor = (await db.get("meta", "cursor")) ?? null;
    try {
      await apply((await post(device_id, cursor, [c])).data || {}, [c]);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401 || e.status === 429) throw e;
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
      // Offline, a timeout, a revoked token or "too many requests": try it all later.
      if (!(e instanceof ApiError) || e.status === 401 || e.status === 429) throw e;
      if (cursor !== null && (e.code === "bad_cursor" || (e.status === 422 && e.details && e.details.cursor))) {
        // A cursor the server never issued (say, after a restore), or one it cannot
        // even read: pull everything again.
        await db.set("meta", "cursor", null);
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

/**
 * Exchange an enrolment code for a device token; keep it with the scope. Joining
 * another facility replaces this one's data: if changes are not sent yet,
 * `confirmLoss(n, scope)` must resolve true (after offering the export), otherwise
 * nothing changes on the phone and enrol resolves null.
 */
export async function enrol(code, deviceName, { confirmLoss = async () => false } = {}) {
  const res = await api("/api/v1/enrol", { method: "POST", body: { code, device_name: deviceName }, auth: false });
  const { token, scope: sc } = res.data;
  const prev = await db.get("meta", "scope");
  const prevFacility = prev && prev.facility && prev.facility.id;
  if (prevFacility && sc.facility && prevFacility !== sc.facility.id) {
    const unsent = await db.count("outbox");
    if (unsent && !(await confirmLoss(unsent, sc))) return null;
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
  refreshLimits();
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
