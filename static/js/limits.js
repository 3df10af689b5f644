// The server's limits (GET /api/v1/limits), kept in meta so they hold offline: text
// lengths by record type and field, changes per sync request. Empty until the phone
// has reached the server once (the server checks again in any case).
import { api } from "./api.js";
import * as db from "./db.js";

/** {fields: {type: {field: max characters}}, changes_per_request, ...} */
export const limits = async () => (await db.get("meta", "limits")) || { fields: {} };

/** Max lengths of one record type's text fields: {field: n}. */
export const maxLengths = async (type) => (await limits()).fields[type] || {};

let fetched = false;

/** Fetch the limits again (`once`: only if this page has not yet). Never throws. */
export async function refreshLimits({ once = false } = {}) {
  if (once && fetched) return;
  try {
    const res = await api("/api/v1/limits", { auth: false, timeout: 10000 });
    if (res.data?.fields) await db.set("meta", "limits", res.data);
    fetched = true;
  } catch (_) {
    /* keep the numbers we have */
  }
}

/** An edit with a text longer than the server takes: nothing was saved. */
export class LimitError extends Error {
  constructor(field, max) {
    super(`${field}: at most ${max} characters`);
    this.field = field;
    this.max = max;
  }
}

/** Throw LimitError for the first text in `fields` over its limit. */
export async function checkLengths(type, fields) {
  const max = await maxLengths(type);
  for (const [k, v] of Object.entries(fields)) {
    // The server counts characters (code points), not UTF-16 units.
    if (typeof v === "string" && max[k] && [...v].length > max[k]) throw new LimitError(k, max[k]);
  }
}
