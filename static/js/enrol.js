// This phone and its facility: the device id, enrolment (code -> device token and
// scope), "am I still enrolled?", and forgetting the facility.
import { api } from "./api.js";
import * as db from "./db.js";
import { announce } from "./events.js";
import { refreshLimits } from "./limits.js";
import { uuid } from "./outbox.js";

/** Meta keys of the phone itself, kept when it leaves a facility (with the i18n:<lang> catalogues). */
const PHONE = new Set(["device_id", "lang", "locales", "limits"]);

/** This phone's id, made once and kept for good. */
export async function deviceId() {
  let id = await db.get("meta", "device_id");
  if (!id) {
    id = uuid();
    await db.set("meta", "device_id", id);
  }
  return id;
}

/**
 * Forget this facility: its records, the outbox and its journal, its photos, the token and every meta key that is
 * the facility's (scope, cursor, plans, positions, PDF queue...), the remark draft,
 * and any API answer a service worker kept (versions before this one cached them).
 * The phone keeps its id, its language and catalogues, and the checklists.
 */
export async function forget() {
  const names = (await db.keys("meta")).filter((k) => !PHONE.has(k) && !String(k).startsWith("i18n:"));
  await db.wipe(["records", "outbox", "sent", "photos"], names);
  try {
    globalThis.localStorage?.removeItem(db.DRAFT);
  } catch (_) {
    /* private mode */
  }
  if (globalThis.caches) {
    for (const k of await caches.keys()) if (!k.startsWith("shell-")) await caches.delete(k);
  }
}

/**
 * Exchange an enrolment code for a device token; keep it with the scope. Joining
 * another facility replaces this one's data: if changes are not sent yet,
 * `confirmLoss(n, scope)` must resolve true (after offering the export), otherwise
 * nothing changes on the phone and enrol resolves null.
 */
export async function enrol(code, deviceName, { confirmLoss = async () => false } = {}) {
  const body = { code, device_name: deviceName };
  const res = await api("/api/v1/enrol", { method: "POST", body, auth: false });
  const { token, scope: sc } = res.data;
  const prev = await db.get("meta", "scope");
  const prevFacility = prev?.facility?.id;
  if (prevFacility && sc.facility && prevFacility !== sc.facility.id) {
    const unsent = await db.count("outbox");
    if (unsent && !(await confirmLoss(unsent, sc))) return null;
    await forget();
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
    if (res.data?.scope) await db.set("meta", "scope", res.data.scope);
    return true;
  } catch (_) {
    return false;
  }
}

/**
 * A workshop participant's group, and whose each round is (GET /api/v1/workshop): kept
 * as meta "workshop_group", so the home shows the group and walks only its round, offline too.
 */
export async function refreshWorkshop() {
  const sc = await db.get("meta", "scope");
  if (sc?.kind !== "workshop") return;
  let data;
  try {
    data = (await api("/api/v1/workshop", { timeout: 10000 })).data;
  } catch (_) {
    return; // offline or refused: keep what the phone knew
  }
  if (JSON.stringify(data) !== JSON.stringify(await db.get("meta", "workshop_group"))) {
    await db.set("meta", "workshop_group", data);
    announce("records");
  }
}
