// Entry point: start-up, the hash router, the top bar and the service worker.
import { OfflineError } from "./api.js";
import { checklist } from "./cache.js";
import * as db from "./db.js";
import { checkMe } from "./enrol.js";
import { bus } from "./events.js";
import { current as currentLang, initialLang, loadLanguages, setLang, t, tn } from "./i18n.js";
import { schedule, status, syncNow } from "./sync.js";
import checkpoint, { recoverDraft } from "./views/checkpoint.js";
import discuss from "./views/discuss.js";
import group from "./views/group.js";
import home from "./views/home.js";
import item from "./views/item.js";
import join from "./views/join.js";
import modules from "./views/modules.js";
import newRound from "./views/newround.js";
import outbox from "./views/outbox.js";
import participant from "./views/participant.js";
import plan, { sendQueuedPdfs } from "./views/plan.js";
import round from "./views/round.js";
import settings from "./views/settings.js";
import { h, toast } from "./views/ui.js";

const ROUTES = [
  ["/join", join, { open: true }],
  ["/settings", settings, { open: true }],
  ["/", home],
  ["/round/new", newRound],
  ["/round/:aid", round],
  ["/round/:aid/join", participant],
  ["/walk/:rid", modules],
  ["/walk/:rid/:cp", checkpoint],
  ["/group/:aid", group],
  ["/discuss/:aid", discuss],
  ["/plan/:aid", plan],
  ["/plan/:aid/item/:iid", item],
  ["/sync", outbox],
];

const main = document.getElementById("main");
const titleEl = document.getElementById("title");
const backEl = document.getElementById("back");
const pill = document.getElementById("pill");
const gear = document.getElementById("gear");

/** What a screen gets: helpers and shared state. */
const ctx = {
  // state: "pending" until registration settles, then "active" or "unavailable".
  sw: { supported: "serviceWorker" in navigator && window.isSecureContext, state: "pending", error: null },
  lang: currentLang,
  go: (route) => {
    location.hash = `#${route}`;
  },
  /** The checklist in the current language (IndexedDB first, then network). */
  checklist() {
    const lang = currentLang();
    if (!this._cl || this._clLang !== lang) {
      this._clLang = lang;
      this._cl = checklist(lang).catch((e) => {
        this._cl = null;
        throw e;
      });
    }
    return this._cl;
  },
  scope: () => db.get("meta", "scope"),
  rerender: () => route(true),
};

function match(path) {
  for (const [pattern, view, opts] of ROUTES) {
    const a = pattern.split("/");
    const b = path.split("/");
    if (a.length !== b.length) continue;
    if (a.every((seg, i) => seg.startsWith(":") || seg === b[i])) {
      const params = {};
      a.forEach((seg, i) => {
        if (seg.startsWith(":")) params[seg.slice(1)] = decodeURIComponent(b[i]);
      });
      return { view, params, opts: opts || {} };
    }
  }
  return null;
}

let cleanups = [];
let seq = 0;

async function route(keepScroll = false) {
  const my = ++seq;
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  const found = match(path) || match("/");
  const token = await db.get("meta", "token");
  if (!token && !found.opts.open) {
    location.replace("#/join");
    return;
  }
  for (const fn of cleanups) fn();
  cleanups = [];
  const root = h("div", { class: "view" });
  // Screens append optional parts as `cond ? el : null`: skip the empty ones.
  root.append = (...parts) =>
    Element.prototype.append.apply(
      root,
      parts.flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false),
    );
  const view = {
    ...ctx,
    params: found.params,
    query: new URLSearchParams(qs || ""),
    /** The top bar's title: a string, or nodes (user text in a <bdi>). */
    title(text, back) {
      titleEl.replaceChildren(text);
      fitTitle();
      const plain = titleEl.textContent;
      document.title = plain === "HealthWISE" ? plain : `${plain} · HealthWISE`;
      backEl.hidden = !back;
      if (back) backEl.href = `#${back}`;
    },
    onleave: (fn) => cleanups.push(fn),
    /** Re-render this screen when data changes (lists only, never forms being typed in). */
    live() {
      let timer;
      const fn = () => {
        clearTimeout(timer);
        timer = setTimeout(() => my === seq && route(true), 250);
      };
      // "status" too: a sync that brought nothing new announces no "records".
      for (const type of ["records", "status"]) bus.addEventListener(type, fn);
      cleanups.push(() => {
        clearTimeout(timer);
        for (const type of ["records", "status"]) bus.removeEventListener(type, fn);
      });
    },
  };
  backEl.setAttribute("aria-label", t("Back"));
  gear.setAttribute("aria-label", t("Settings"));
  gear.hidden = path !== "/" || !token;
  try {
    await found.view(root, found.params, view);
  } catch (e) {
    console.error(e);
    root.replaceChildren(
      h(
        "div",
        { class: "card alert", role: "alert" },
        h("h2", {}, t("Something went wrong")),
        h(
          "p",
          {},
          e instanceof OfflineError
            ? t("This needs a connection. Try again when you are online.")
            : e.message || String(e),
        ),
        h("a", { class: "btn", href: "#/" }, t("Home")),
      ),
    );
  }
  if (my !== seq) return;
  const y = window.scrollY;
  main.replaceChildren(root);
  if (keepScroll) window.scrollTo(0, y);
  else {
    window.scrollTo(0, 0);
    titleEl.focus({ preventScroll: true });
    if (!path.startsWith("/join")) db.set("meta", "last_route", raw).catch(() => {});
    // Home offers to continue the last walk-through, whatever was opened since.
    if (/^\/walk\/[^/]+\/[^/]+$/.test(path)) db.set("meta", "last_walk", raw).catch(() => {});
  }
  main.setAttribute("aria-busy", "false");
  // The language may have changed on this screen: the pill follows.
  if (pill.lang !== currentLang()) updatePill();
}

/**
 * A title word wider than the bar ("musculosquelettiques" at 360 px) makes the title a
 * size smaller, then the sync pill a dot (its text stays in its label), rather than cut
 * the word; only a word too wide even then breaks.
 */
const FITS = [
  ["", false],
  ["0.95rem", false],
  ["0.85rem", false],
  ["0.95rem", true],
  ["0.85rem", true],
  ["0.78rem", true],
];
function fitTitle() {
  titleEl.classList.remove("squeeze");
  for (const [size, compact] of FITS) {
    titleEl.style.fontSize = size;
    pill.classList.toggle("compact", compact);
    if (titleEl.scrollWidth <= titleEl.clientWidth) return;
  }
  titleEl.classList.add("squeeze");
}

async function updatePill() {
  const s = await status();
  let text;
  let cls = "pill";
  if (!s.enrolled) {
    pill.hidden = true;
    return;
  }
  pill.hidden = false;
  if (s.revoked) {
    text = t("Signed out");
    cls += " bad";
  } else if (s.syncing) {
    text = t("Syncing…");
    cls += " busy";
  } else if (!s.online) {
    text = s.pending ? tn("Offline · one unsent", "Offline · %(n)s unsent", s.pending, { n: s.pending }) : t("Offline");
    cls += " off";
  } else if (s.stuck.length || s.conflicts.length) {
    text = t("Needs attention");
    cls += " warn";
  } else if (s.pending) {
    text = tn("one unsent", "%(n)s unsent", s.pending, { n: s.pending });
    cls += " warn";
  } else {
    text = t("Synced");
    cls += " ok";
  }
  // One line: a text too long for the bar ends in "…"; the whole of it is in the title.
  pill.replaceChildren(h("span", {}, text));
  pill.lang = currentLang();
  pill.className = cls;
  pill.title = text;
  pill.setAttribute("aria-label", `${t("Sync status")}: ${text}`);
  fitTitle();
}

async function registerServiceWorker() {
  if (!ctx.sw.supported) {
    ctx.sw.state = "unavailable";
    return;
  }
  if (navigator.serviceWorker.controller) ctx.sw.state = "active";
  let hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController)
      toast(t("A new version of the app is ready."), { label: t("Reload"), run: () => location.reload() });
    hadController = true;
  });
  const before = ctx.sw.state;
  try {
    await navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" });
    ctx.sw.state = "active";
  } catch (e) {
    ctx.sw.state = "unavailable";
    ctx.sw.error = e;
    console.warn("service worker not registered:", e.message);
  }
  // Home and settings say whether offline reload works: show the settled answer.
  const path = (location.hash.replace(/^#/, "") || "/").split("?")[0];
  if (ctx.sw.state !== before && (path === "/" || path === "/settings")) route(true);
}

async function start() {
  const m = await db.metas(["lang", "token"]);
  await loadLanguages();
  const lang = m.lang || (await initialLang());
  const langReady = setLang(lang, () => route(true), { save: !m.lang });
  // Read the checklist while the rest starts: the walk-through needs it first.
  if (m.token) ctx.checklist().catch(() => {});
  registerServiceWorker();
  if (!(await langReady)) toast(t("This language is not on the phone yet; connect once to download it."));
  bus.addEventListener("status", updatePill);
  // Another language (or its catalogue, arrived late): the screen and the pill follow at once.
  bus.addEventListener("lang", () => {
    updatePill();
    route(true);
  });
  bus.addEventListener("revoked", () => route(true));
  bus.addEventListener("checklist", () => {
    ctx._cl = null;
  });
  window.addEventListener("online", updatePill);
  window.addEventListener("offline", updatePill);
  window.addEventListener("hashchange", () => route());
  window.addEventListener("resize", fitTitle);
  await recoverDraft().catch((e) => console.warn("draft not recovered", e));
  if (!location.hash) {
    const last = await db.get("meta", "last_route");
    // Opening the app from the home screen resumes an unfinished walk-through.
    if (last?.startsWith("/walk/")) location.replace(`#${last}`);
  }
  await route();
  updatePill();
  if (m.token) {
    if (navigator.storage?.persist)
      navigator.storage
        .persisted()
        .then((p) => p || navigator.storage.persist())
        .catch(() => {});
    syncNow().then(
      () => sendQueuedPdfs(),
      () => {},
    );
    checkMe();
  }
  // Keep the phone fresh while the app is open and online (the group view asks more often).
  setInterval(() => {
    if (document.visibilityState === "visible" && navigator.onLine)
      syncNow().then(
        () => sendQueuedPdfs(),
        () => {},
      );
  }, 120000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && navigator.onLine) schedule(500);
  });
  window.addEventListener("online", () => setTimeout(() => sendQueuedPdfs(), 3000));
}

start();
