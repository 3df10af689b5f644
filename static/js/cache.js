// What the phone reads from the server and keeps for offline use, all in IndexedDB
// (the service worker keeps only the app shell): the checklist here, a round's
// suggested plan (records.js), the languages and their catalogues (i18n.js). One way
// to read them: `kept`, stale-while-revalidate.
import { api, OfflineError } from "./api.js";
import * as db from "./db.js";
import { announce } from "./events.js";

export const CHECKLIST_ID = "healthwise";

const inflight = new Map();
const tried = new Map();
const bare = ({ etag, fetched, ...data }) => JSON.stringify(data);

/** Fetch `path` and keep the answer (with its ETag, for a 304 next time): {value, changed}. */
function refresh(store, key, path, have, { received, ...opts }) {
  const id = `${store} ${key}`;
  if (!inflight.has(id)) {
    tried.set(id, Date.now());
    const headers = have?.etag ? { "If-None-Match": have.etag } : {};
    const work = api(path, { ...opts, headers })
      .then(async (res) => {
        if (res.status === 304) return { value: have, changed: false };
        const value = { ...res.data, etag: res.headers.get("ETag") || "", fetched: Date.now() };
        await db.set(store, key, value);
        if (received) await received(value);
        return { value, changed: !have || bare(have) !== bare(value) };
      })
      .finally(() => inflight.delete(id));
    inflight.set(id, work);
  }
  return inflight.get(id);
}

/**
 * Read what is kept under `key` in `store` ("meta" or "checklists") at once, and
 * refresh it from `path` in the background: `onFresh(value)` runs when a different
 * answer has been kept. With nothing kept, wait for the network: its answer, or its
 * error; with `wait` (ms), undefined once that long has passed (onFresh runs later).
 *
 * `again`: false to skip the refresh; `every` (ms): at most one request that often in
 * this page; `received(value)`: awaited for every new answer once it is kept, before
 * anyone sees it. Other options go to api(). Known to be offline, nothing is fetched.
 */
export async function kept(store, key, path, { onFresh, again = true, every = 0, wait = 0, ...opts } = {}) {
  const have = await db.get(store, key);
  const id = `${store} ${key}`;
  const recent = every && tried.has(id) && Date.now() - tried.get(id) < every;
  const offline = globalThis.navigator && navigator.onLine === false;
  if (have !== undefined) {
    if (again && !offline && !recent) {
      refresh(store, key, path, have, opts).then(
        (r) => r.changed && onFresh?.(r.value),
        () => {},
      );
    }
    return have;
  }
  if (offline) throw new OfflineError("offline");
  // Asked a moment ago: that request's onFresh tells when it comes.
  if (recent) throw new Error(`${path}: asked a moment ago`);
  const fresh = refresh(store, key, path, have, opts);
  if (!wait) return (await fresh).value;
  let late = false;
  const timer = new Promise((resolve) => setTimeout(resolve, wait)).then(() => {
    late = true;
  });
  await Promise.race([fresh.catch(() => {}), timer]);
  if (!late) return (await fresh).value;
  fresh.then(
    (r) => onFresh?.(r.value),
    () => {},
  );
  return undefined;
}

/**
 * The checklist in this language: from IndexedDB at once if we have it, refreshed
 * from the network (ETag) when we can ("checklist" is announced when it changed).
 * Falls back to any language we have.
 */
export async function checklist(lang, { refresh: again = true } = {}) {
  const path = `/api/v1/checklists/${CHECKLIST_ID}?lang=${encodeURIComponent(lang)}`;
  const onFresh = () => announce("checklist");
  try {
    return await kept("checklists", `${CHECKLIST_ID}:${lang}`, path, { again, onFresh, auth: false, timeout: 30000 });
  } catch (e) {
    const keys = await db.keys("checklists");
    const other = keys.find((k) => k === `${CHECKLIST_ID}:en`) || keys.find((k) => k.startsWith(`${CHECKLIST_ID}:`));
    if (other) return db.get("checklists", other);
    throw e;
  }
}
