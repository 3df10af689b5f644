// Storage: a small promise wrapper over IndexedDB, in the spirit of idb-keyval.
// Everything the phone knows lives here (never in Cache Storage), so a new
// service worker, a reload or a killed browser loses nothing.
//
// Stores:
//   records    {id, type, rev, parent, server: {...}, fields: {...}, conflicts: [...]}
//              keyed by [type, id]: an id names a record of one type only, so a pulled
//              record never lands on a record of another type that shares its id.
//              `server` is what the server last said, `fields` is what the phone shows
//              (server + every change still in the outbox, re-applied in order).
//   outbox     {seq, change_id, type, id, base_rev, fields, status, error, tries, at}
//              status: "pending" (to send), "rejected" (the server refused it) or
//              "failed" (it failed alone, e.g. a 5xx); the last two are set aside.
//   sent       {change_id, seq, type, id, base_rev, fields, at, status, rev, acked}: the
//              journal of changes the server acknowledged, as sent, kept so that they
//              can be sent again after the server was restored from an older backup
//              (outbox.js replay); the last JOURNAL_KEEP, and all of the last JOURNAL_DAYS.
//   photos     {name, blob, size, state, at}: photos keyed by their sha-256 (photos.js);
//              state "pending" (to upload), "sent", "cached" (another phone's, fetched to
//              show it) or "refused" (the server will never take it).
//   meta       key -> value (token, scope, device_id, cursor, lang, positions...)
//   checklists "<id>:<lang>" -> checklist JSON (+ etag, fetched)
// and, in localStorage, DRAFT: the remark being typed (views/checkpoint.js).

const NAME = "healthwise";
const VERSION = 4;
let opening = null;

/** Turn an IDBRequest into a promise. */
export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const r = indexedDB.open(NAME, VERSION);
      r.onupgradeneeded = (e) => upgrade(r.result, r.transaction, e.oldVersion);
      r.onsuccess = () => {
        const d = r.result;
        // Another tab (or a new version of the app) wants to upgrade: let it.
        d.onversionchange = () => {
          d.close();
          opening = null;
        };
        d.onclose = () => {
          opening = null;
        };
        resolve(d);
      };
      r.onerror = () => {
        opening = null;
        reject(r.error);
      };
      r.onblocked = () => console.warn("IndexedDB upgrade blocked by another tab");
    });
  }
  return opening;
}

function recordStore(d) {
  const records = d.createObjectStore("records", { keyPath: ["type", "id"] });
  records.createIndex("parent", "parent");
  records.createIndex("type", "type");
}

/** Create or migrate the stores; runs inside the version change transaction. */
function upgrade(d, t, from) {
  if (from < 1) {
    recordStore(d);
    d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }).createIndex("record", ["type", "id"]);
    d.createObjectStore("meta");
    d.createObjectStore("checklists");
  } else if (from < 2) {
    // Version 1 keyed records by id alone: move every record to the [type, id] key.
    const outbox = t.objectStore("outbox");
    outbox.deleteIndex("id");
    outbox.createIndex("record", ["type", "id"]);
    const old = t.objectStore("records").getAll();
    old.onsuccess = () => {
      d.deleteObjectStore("records");
      recordStore(d);
      const records = t.objectStore("records");
      for (const rec of old.result) records.put(rec);
    };
  }
  // Version 3 adds the journal; what the phone held before stays as it was.
  if (from < 3) d.createObjectStore("sent", { keyPath: "change_id" }).createIndex("acked", "acked");
  // Version 4 adds the photos; nothing else changes.
  if (from < 4) d.createObjectStore("photos", { keyPath: "name" });
}

/**
 * Run fn(stores) in one transaction and resolve with its result once the
 * transaction has committed. fn may only await IndexedDB requests (req(...)).
 */
export async function tx(names, mode, fn) {
  const d = await open();
  const list = [].concat(names);
  // "strict" durability for the user's data: an answer is on disk before we say it
  // is saved. Settings and positions can take the faster default.
  const strict =
    mode === "readwrite" && (list.includes("records") || list.includes("outbox") || list.includes("photos"));
  const t = strict ? d.transaction(list, mode, { durability: "strict" }) : d.transaction(list, mode);
  const done = new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
  const stores = {};
  for (const n of list) stores[n] = t.objectStore(n);
  let result;
  try {
    result = await fn(stores, t);
  } catch (e) {
    try {
      t.abort();
    } catch (_) {
      /* already finished */
    }
    done.catch(() => {});
    throw e;
  }
  await done;
  return result;
}

export const get = (store, key) => tx(store, "readonly", (s) => req(s[store].get(key)));
export const set = (store, key, value) =>
  tx(store, "readwrite", (s) =>
    req(store === "meta" || store === "checklists" ? s[store].put(value, key) : s[store].put(value)),
  );
export const del = (store, key) => tx(store, "readwrite", (s) => req(s[store].delete(key)));
export const all = (store) => tx(store, "readonly", (s) => req(s[store].getAll()));
export const keys = (store) => tx(store, "readonly", (s) => req(s[store].getAllKeys()));
export const byIndex = (store, index, value) => tx(store, "readonly", (s) => req(s[store].index(index).getAll(value)));
export const count = (store) => tx(store, "readonly", (s) => req(s[store].count()));

/** Read several meta keys at once: {key: value}. */
export const metas = (names) =>
  tx("meta", "readonly", async (s) => {
    const out = {};
    for (const n of names) out[n] = await req(s.meta.get(n));
    return out;
  });

/** Everything in every store, for "export local data". */
export async function dump() {
  const out = {};
  for (const store of ["records", "outbox", "meta", "checklists"]) {
    out[store] = await tx(store, "readonly", async (s) => {
      const ks = await req(s[store].getAllKeys());
      const vs = await req(s[store].getAll());
      return ks.map((k, i) => [k, vs[i]]);
    });
  }
  return out;
}

/** Clear whole stores and remove some meta keys, in one transaction. */
export const wipe = (stores, metaKeys = []) =>
  tx([...stores, "meta"], "readwrite", async (s) => {
    for (const n of stores) s[n].clear();
    for (const k of metaKeys) s.meta.delete(k);
  });

// ---- the records' parent index (queries: records.js) -----------------------

export const PARENT = {
  assessment: "facility_id",
  response: "assessment_id",
  answer: "response_id",
  action_item: "assessment_id",
  review: "assessment_id",
};

/** Record types this phone only reads: the district manager writes them on the server. */
export const READ_ONLY = new Set(["review"]);

/** The key a record is indexed under: its assessment, response, or facility. */
export function parentOf(type, fields) {
  const v = fields[PARENT[type]];
  return v === undefined || v === null ? "" : String(v);
}

/** The localStorage key of the remark being typed. */
export const DRAFT = "healthwise-draft";
