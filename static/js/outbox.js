// Local edits and the outbox (docs: sync-protocol.md): every write to the phone's
// records goes through here, each with its change in the outbox, in one transaction;
// and the server's answers are folded back in (apply). Runs in the page and in the
// service worker.
import * as db from "./db.js";
import { announce, emit } from "./events.js";
import { checkLengths } from "./limits.js";

const KEEP = new Set(["applied", "duplicate", "merged", "conflict"]);
// The journal of acknowledged changes (db.js "sent") keeps the last JOURNAL_KEEP changes,
// and every change of the last JOURNAL_DAYS days, whichever is more.
export const JOURNAL_KEEP = 10000;
export const JOURNAL_DAYS = 90;
const DAY = 86400000;
const PARENT_TYPE = { response: "assessment", answer: "response", action_item: "assessment" };
const same = (a, b) => a.type === b.type && a.id === b.id;
const keyOf = (x) => [x.type, x.id];
const bySeq = (a, b) => a.seq - b.seq;

/** A random UUID; crypto.randomUUID only exists in secure contexts (not on http LANs). */
export function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A record made on this phone (`created` tells it from a pulled one). */
const blank = (type, id) => ({ id, type, rev: null, server: {}, fields: {}, conflicts: [], created: Date.now() });

/** Show `rec` as the server has it plus every change still kept, in order. */
function refold(rec, outbox) {
  const f = { ...rec.server };
  for (const c of outbox) if (same(c, rec)) Object.assign(f, c.fields);
  rec.fields = f;
  rec.parent = db.parentOf(rec.type, f);
  return rec;
}

/**
 * The changes (seqs) that wait behind the creates of `roots` ("type id" of records the
 * server does not have): the changes of their children, grandchildren..., which the
 * server would refuse until their parent is there.
 */
export function behind(outbox, roots) {
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
export const stuckCreates = (outbox) =>
  outbox.filter((c) => c.status !== "pending" && c.base_rev === null).map((c) => `${c.type} ${c.id}`);

function changed() {
  announce("records");
  announce("status");
}

/**
 * Record one user edit: update the record and append a change to the outbox,
 * atomically. Returns the record. Creates the record when it does not exist.
 * Throws LimitError (and saves nothing) for a text over the server's limit.
 */
export async function edit(type, id, fields) {
  // The server would refuse it ("read_only"): such a change never enters the outbox.
  if (db.READ_ONLY.has(type)) throw new Error(`A ${type} cannot be changed on a phone.`);
  await checkLengths(type, fields);
  const rec = await db.tx(["records", "outbox"], "readwrite", async (s) => {
    const r = (await db.req(s.records.get([type, id]))) || blank(type, id);
    Object.assign(r.fields, fields);
    // Setting a field again is the user's answer to a value of theirs that was replaced.
    if (r.overwritten) r.overwritten = r.overwritten.filter((x) => !(x.field in fields));
    r.parent = db.parentOf(type, r.fields);
    r.updated = Date.now();
    s.records.put(r);
    const at = new Date().toISOString();
    const aside = (await db.req(s.outbox.index("record").getAll([type, id]))).filter((c) => c.status !== "pending");
    const create = r.rev === null && aside.find((c) => c.base_rev === null);
    if (create) {
      // The server never got this record: the edit goes into its create, sent again as new.
      const fixed = { ...create.fields, ...fields };
      s.outbox.put({ ...create, fields: fixed, change_id: uuid(), status: "pending", error: null, tries: 0, at });
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
  changed();
  emit("queued");
  return rec;
}

/** Create a record of this type; returns it. */
export const create = (type, fields) => edit(type, uuid(), fields);

/** The changes that discard(seq) deletes: it, and those waiting behind it. */
export async function discarded(seq) {
  const outbox = await db.all("outbox");
  const c = outbox.find((x) => x.seq === seq);
  if (!c) return [];
  if (c.base_rev !== null) return [c];
  const waiting = behind(outbox, [`${c.type} ${c.id}`]);
  return [c, ...outbox.filter((x) => waiting.has(x.seq) && !same(x, c))];
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
    if (r.rev === null && !rest.length) s.records.delete(keyOf(r));
    else s.records.put(refold(r, rest));
  });
  changed();
}

/** Send a change set aside again, as a new change (the server refused the old change_id). */
export async function retry(seq) {
  await db.tx("outbox", "readwrite", async (s) => {
    const c = await db.req(s.outbox.get(seq));
    if (!c) return;
    s.outbox.delete(seq);
    const at = new Date().toISOString();
    s.outbox.add({ ...c, seq: undefined, change_id: uuid(), status: "pending", error: null, tries: 0, at });
  });
  announce("status");
  emit("queued");
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
    const fields = Object.assign({}, ...mine.map((x) => x.fields));
    aside = { ...mine[0], status, error, tries: aside.tries, fields };
    for (const x of mine.slice(1)) s.outbox.delete(x.seq);
  }
  s.outbox.put(aside);
}

/** Set aside a change that failed when sent alone: refused (4xx) or failing (5xx). */
export function setAsideAlone(c, e) {
  const status = e.status >= 500 ? "failed" : "rejected";
  const error = { code: e.code || `http_${e.status}`, message: e.message, status: e.status };
  return db.tx(["records", "outbox"], "readwrite", async (s) =>
    setAside(s, await db.req(s.records.get(keyOf(c))), c.seq, status, error),
  );
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
    const at = new Date().toISOString();
    for (const { change_id, type, id, base_rev, fields } of changes) {
      if (have.has(change_id) || !db.PARENT[type] || db.READ_ONLY.has(type) || !id || !fields) continue;
      have.add(change_id);
      s.outbox.add({ change_id, type, id, base_rev: base_rev ?? null, fields, status: "pending", at });
      added++;
      const k = `${type} ${id}`;
      if (!touched.has(k)) touched.set(k, (await db.req(s.records.get([type, id]))) || blank(type, id));
    }
    const outbox = await db.req(s.outbox.getAll());
    for (const r of touched.values()) s.records.put(refold(r, outbox));
  });
  changed();
  emit("queued");
  return added;
}

/** Drop the oldest journal entries past JOURNAL_KEEP that are older than JOURNAL_DAYS. */
async function prune(sent, now) {
  const extra = (await db.req(sent.count())) - JOURNAL_KEEP;
  if (extra <= 0) return;
  const old = IDBKeyRange.upperBound(now - JOURNAL_DAYS * DAY);
  for (const k of await db.req(sent.index("acked").getAllKeys(old, extra))) sent.delete(k);
}

/**
 * After the server said it never issued this phone's cursor (it was restored from an
 * older backup, or it is another server): put every change of the journal back in the
 * outbox, at its place in the phone's order and with its change_id (the server answers
 * "duplicate" for those it has), and pull everything again. The records' revisions are
 * of the old history until the server sends its own (apply). Returns how many came back.
 */
export async function replay() {
  let back = 0;
  await db.tx(["records", "outbox", "sent", "meta"], "readwrite", async (s) => {
    const have = new Set((await db.req(s.outbox.getAll())).map((c) => c.change_id));
    for (const j of await db.req(s.sent.getAll())) {
      if (have.has(j.change_id)) continue;
      const { change_id, seq, type, id, base_rev, fields, at } = j;
      s.outbox.put({ change_id, seq, type, id, base_rev, fields, at, status: "pending" });
      back++;
    }
    for (const r of await db.req(s.records.getAll())) {
      if (r.rev === null) continue;
      r.stale = true;
      s.records.put(r);
    }
    s.meta.put(null, "cursor");
  });
  announce("status");
  return back;
}

/**
 * Apply one sync response (`results` for the changes of `sent`, pulled `changes`, the
 * `cursor`) to the records and the outbox, in one transaction. Resolves with how many
 * changes were made again on the server's revision, to be sent once more.
 */
export async function apply(data, sent) {
  let again = 0;
  await db.tx(["records", "outbox", "sent", "meta"], "readwrite", async (s) => {
    const recs = new Map();
    const load = async (type, id) => {
      const k = `${type} ${id}`;
      if (!recs.has(k)) recs.set(k, await db.req(s.records.get([type, id])));
      return recs.get(k);
    };
    const bySent = new Map(sent.map((c) => [c.change_id, c]));
    // Fields of this phone's changes that a newer change of another phone beat
    // ("superseded": made on older state): the user is told, once. The server keeps
    // such a value as an open conflict when the winner never saw it (the record, sent
    // back, lists it under this change_id): then it is to discuss as every conflict.
    const lost = [];
    // Changes refused for a base_rev the server never had (it was restored from an older
    // backup): made again on the revision it sends back with them (below).
    const rebase = [];
    const acked = Date.now();
    for (const r of data.results || []) {
      const c = bySent.get(r.change_id);
      if (!c) continue;
      const rec = await load(c.type, c.id);
      if (KEEP.has(r.status)) {
        s.outbox.delete(c.seq);
        const { change_id, seq, type, id, base_rev, fields, at } = c;
        s.sent.put({ change_id, seq, type, id, base_rev, fields, at, status: r.status, rev: r.rev, acked });
        const beaten = new Set(r.superseded || []);
        if (rec && beaten.size) lost.push({ rec, c, beaten });
        if (rec) {
          if (r.status !== "conflict") {
            for (const [k, v] of Object.entries(c.fields)) if (!beaten.has(k)) rec.server[k] = v;
            // A change accepted on the current state wins its fields outright: the
            // server closes their open conflicts (and need not send the record back).
            rec.conflicts = (rec.conflicts || []).filter((x) => !(x.field in c.fields));
          }
          if (typeof r.rev === "number" && (rec.rev === null || rec.stale || r.rev > rec.rev)) {
            rec.rev = r.rev;
            delete rec.stale;
          }
        }
      } else if (r.status === "rejected" && r.error?.code === "bad_base_rev" && c.base_rev !== null) {
        rebase.push([c, r.error]);
      } else if (r.status === "rejected") {
        await setAside(s, rec, c.seq, "rejected", r.error || { message: "" });
      }
    }
    for (const ch of data.changes || []) {
      let rec = await load(ch.type, ch.id);
      if (!rec) {
        // Pulled: no `created`, it was made on another phone.
        rec = { id: ch.id, type: ch.type, rev: null, server: {}, fields: {}, conflicts: [] };
        recs.set(`${ch.type} ${ch.id}`, rec);
      }
      // A revision of the old history (before a restore) says nothing against the server's.
      if (rec.rev !== null && !rec.stale && typeof ch.rev === "number" && ch.rev < rec.rev) continue;
      Object.assign(rec.server, ch.fields || {});
      rec.rev = ch.rev ?? rec.rev;
      rec.conflicts = ch.conflicts || [];
      delete rec.stale;
    }
    for (const [c, error] of rebase) {
      // Same change_id: the server never stored a change it refused. The record's later
      // changes in the outbox follow in order; each lowers its base_rev at most once.
      const rec = await load(c.type, c.id);
      if (rec && !rec.stale && typeof rec.rev === "number" && rec.rev < c.base_rev) {
        s.outbox.put({ ...c, base_rev: rec.rev, status: "pending", error: null });
        again++;
      } else {
        await setAside(s, rec, c.seq, "rejected", error);
      }
    }
    await prune(s.sent, acked);
    for (const { rec, c, beaten } of lost) {
      for (const k of beaten) {
        if (!(k in rec.server) || rec.server[k] === c.fields[k]) continue;
        const rest = (rec.overwritten || []).filter((x) => x.field !== k);
        const open = (rec.conflicts || []).some((x) => x.field === k && x.change_id === c.change_id);
        rec.overwritten = open ? rest : [...rest, { field: k, value: c.fields[k], at: c.at }];
      }
    }
    const outbox = await db.req(s.outbox.getAll());
    for (const rec of recs.values()) if (rec) s.records.put(refold(rec, outbox));
    if (data.cursor !== undefined) s.meta.put(data.cursor, "cursor");
  });
  return again;
}
