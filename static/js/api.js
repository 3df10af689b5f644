// The API client: JSON over fetch with the device token, and its two errors.
// Runs in the page and in the service worker (Background Sync).
import * as db from "./db.js";
import { announce } from "./events.js";

/** The server answered with an error (the API's one JSON error shape). */
export class ApiError extends Error {
  constructor(status, body, headers) {
    const err = body?.error || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "";
    this.details = err.details;
    this.retryAfter = Number(headers?.get("Retry-After")) || 0;
  }
}

/** The request never got an answer: offline, or timed out. */
export class OfflineError extends Error {}

/** fetch JSON from the API with the device token; throws ApiError / OfflineError. */
export async function api(
  path,
  { method = "GET", body, rawBody, auth = true, timeout = 20000, headers = {}, raw = false } = {},
) {
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
      method,
      headers: h,
      // rawBody: bytes sent as they are (a photo), with the caller's Content-Type.
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: ctl?.signal,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (e) {
    throw new OfflineError(e.message);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 304) return { status: 304, data: null, headers: res.headers };
  if (raw && res.ok) return { status: res.status, data: await res.blob(), headers: res.headers };
  let data = null;
  try {
    data = await res.json();
  } catch (_) {
    /* not JSON */
  }
  if (!res.ok) {
    if (res.status === 401 && auth) await markRevoked(data?.error?.code);
    throw new ApiError(res.status, data, res.headers);
  }
  return { status: res.status, data, headers: res.headers };
}

async function markRevoked(code) {
  const token = await db.get("meta", "token");
  if (!token) return;
  // Why, when the server says: a workshop that ended signs its phones out for good.
  await db.set("meta", "revoked", code === "workshop_closed" ? code : true);
  announce("revoked");
  announce("status");
}

/** Fetch the plan PDF now (with the bearer header): a Blob. */
export async function planPdf(assessmentId, lang) {
  const id = encodeURIComponent(assessmentId);
  const res = await api(`/api/v1/assessments/${id}/plan.pdf?lang=${encodeURIComponent(lang)}`, {
    raw: true,
    timeout: 60000,
  });
  return res.data;
}
