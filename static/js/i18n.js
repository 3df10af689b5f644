// Interface strings: t("English text", {named: "placeholders"}), tn() for plurals.
// The languages (GET /api/v1/locales) and their catalogues (GET /api/v1/i18n/<lang>)
// come from the server and are kept in IndexedDB, so the chosen language works
// offline. A missing translation shows the English text.
import { kept } from "./cache.js";
import * as db from "./db.js";
import { emit } from "./events.js";

const ENGLISH = { code: "en", name: "English", dir: "ltr" };

let langs = [ENGLISH];
let lang = "en";
let direction = "ltr";
let messages = {};

export const current = () => lang;
export const dir = () => direction;

/** The languages on offer: [{code, name, dir}], English first. */
export const languages = () => langs;

const named = (code) => {
  try {
    return new Intl.DisplayNames([code], { type: "language" }).of(code) || code;
  } catch (_) {
    return code;
  }
};

/**
 * Read the languages the server offers: kept on the phone, refreshed in the
 * background; the first time, wait a little for the server. Until it has answered
 * once: English and any language whose catalogue is on the phone.
 */
export async function loadLanguages() {
  const use = (v) => {
    if (v && Array.isArray(v.locales) && v.locales.length)
      langs = v.locales.map(({ code, name, dir: d }) => ({ code, name, dir: d }));
  };
  try {
    use(await kept("meta", "locales", "/api/v1/locales", { auth: false, timeout: 10000, wait: 3000, onFresh: use }));
  } catch (_) {
    /* not fetched yet: below */
  }
  if (langs.length === 1) {
    for (const k of await db.keys("meta")) {
      const code = String(k).startsWith("i18n:") && String(k).slice(5);
      if (code && !langs.some((l) => l.code === code)) {
        const cat = await db.get("meta", k);
        langs.push({ code, name: named(code), dir: cat?.dir || "ltr" });
      }
    }
  }
  return langs;
}

function format(s, params) {
  if (!params) return s;
  return s.replace(/%\((\w+)\)[sd]|%%/g, (m, k) => (m === "%%" ? "%" : k in params ? String(params[k]) : m));
}

// English shown in place of a missing Arabic translation is isolated (FSI ... PDI),
// so it still reads left to right inside the right-to-left page.
const fallback = (s) => (lang !== "en" && dir() === "rtl" ? `\u2068${s}\u2069` : s);

/** Translate one interface string. */
export function t(msgid, params) {
  let s = messages[msgid];
  if (Array.isArray(s)) s = s[0];
  // A "translation" equal to the English source is an untranslated entry too.
  return typeof s === "string" && s && s !== msgid ? format(s, params) : fallback(format(msgid, params));
}

// Plural form index by language; enough for our five languages.
function pluralIndex(n, count) {
  if (lang === "ar" && count === 6) {
    const m = n % 100;
    return n === 0 ? 0 : n === 1 ? 1 : n === 2 ? 2 : m >= 3 && m <= 10 ? 3 : m >= 11 ? 4 : 5;
  }
  const plural = lang === "fr" || lang === "pt" ? n > 1 : n !== 1;
  return Math.min(plural ? 1 : 0, count - 1);
}

/** Translate a string with a singular and a plural form. */
export function tn(singular, plural, n, params) {
  const forms = messages[singular];
  const s = Array.isArray(forms) ? forms[pluralIndex(n, forms.length)] : null;
  if (!s || s === singular || s === plural) return fallback(format(n === 1 ? singular : plural, { n, ...params }));
  return format(s, { n, ...params });
}

function applyToDocument() {
  const root = document.documentElement;
  root.lang = lang;
  root.dir = direction;
}

/**
 * Switch the interface language. Uses the stored catalogue at once and refreshes
 * it from the network; `onUpdate` is called if a newer one arrives. Returns
 * false if no catalogue could be had (English is shown meanwhile). `save`: remember
 * the choice on the phone. "lang" is emitted on the bus each time the strings in use
 * change (the switch, then a catalogue that arrives later), so every screen and the
 * top bar follow at once.
 */
export async function setLang(code, onUpdate, { save = true } = {}) {
  const known = langs.find((l) => l.code === code);
  const stored = code !== "en" && (await db.get("meta", `i18n:${code}`));
  if (!known && !stored) code = "en";
  lang = code;
  direction = known?.dir || stored?.dir || "ltr";
  messages = stored?.messages || {};
  if (save) await db.set("meta", "lang", code);
  applyToDocument();
  if (code === "en") {
    emit("lang", { code });
    return true;
  }
  const use = (cat) => {
    if (lang !== code) return false;
    messages = cat.messages || {};
    emit("lang", { code });
    return true;
  };
  const onFresh = (cat) => use(cat) && onUpdate?.();
  try {
    use(await kept("meta", `i18n:${code}`, `/api/v1/i18n/${code}`, { auth: false, onFresh }));
    return true;
  } catch (_) {
    if (lang === code) emit("lang", { code });
    return false;
  }
}

/** The language to start in: the saved one, else the phone's, else English. */
export async function initialLang() {
  const saved = await db.get("meta", "lang");
  if (saved) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const code = String(l).slice(0, 2).toLowerCase();
    if (langs.some((x) => x.code === code)) return code;
  }
  return "en";
}

/** Format a date (Date, timestamp or YYYY-MM-DD) for this language. */
export function fmtDate(value, withTime = false) {
  if (!value) return "";
  const d =
    typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00`) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const opts = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  try {
    return new Intl.DateTimeFormat(lang, opts).format(d);
  } catch (_) {
    return d.toLocaleString();
  }
}

/** "3 minutes ago" style time, in this language. */
export function ago(ts) {
  const s = Math.round((ts - Date.now()) / 1000);
  const abs = Math.abs(s);
  let rtf;
  try {
    rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  } catch (_) {
    return fmtDate(ts, true);
  }
  if (abs < 60) return rtf.format(0, "second");
  if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}
