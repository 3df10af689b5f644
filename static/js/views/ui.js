// Small DOM helpers shared by the screens.
import { t } from "../i18n.js";
import { LimitError } from "../limits.js";

/** h("button", {class: "btn", onclick: fn}, "text", child, [more]) -> element */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * Text a person typed (a name, a title, a remark, an action...), in a <bdi>: English
 * inside an Arabic screen (or Arabic inside an English one) keeps its own order and
 * leaves the text around it in place. The one way screens show record fields.
 */
export const user = (text) => h("bdi", {}, text ?? "");

/** The same for plain strings (an <option>, an attribute): Unicode isolates (FSI ... PDI). */
export const isolate = (text) => `\u2068${text ?? ""}\u2069`;

/** t() whose placeholders hold user text: one <span>, each value isolated by user(). */
export function tu(msgid, params) {
  const keys = Object.keys(params);
  const marks = Object.fromEntries(keys.map((k, i) => [k, `\uE000${i}\uE000`]));
  const parts = t(msgid, marks).split(/\uE000(\d+)\uE000/);
  // One element, so that a flex container (a button) lays the sentence out as one text.
  return h(
    "span",
    {},
    parts.map((part, i) => (i % 2 ? user(params[keys[part]]) : part)),
  );
}

/** Every 30 s, while on screen: "Last sync: 5 minutes ago" ages with the clock. */
export function since(ts, render) {
  const el = h("span", {}, render(ts));
  const timer = setInterval(() => {
    if (!el.isConnected) clearInterval(timer);
    else el.textContent = render(ts);
  }, 30000);
  return el;
}

/** A link styled as a button (or a plain link with cls "link"). */
export const link = (href, text, cls = "btn") => h("a", { href, class: cls }, text);

/** A status message announced to screen readers. */
export function toast(message, action) {
  const box = document.getElementById("toast");
  // A message that asks for a tap (a new version is ready) stays until it is tapped:
  // a passing message ("Saved") neither hides it nor takes its place.
  if (!action && !box.hidden && box.querySelector("button")) return;
  box.replaceChildren(h("span", {}, message));
  if (action)
    box.append(
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          onclick: () => {
            box.hidden = true;
            action.run();
          },
        },
        action.label,
      ),
    );
  box.hidden = false;
  clearTimeout(toast.timer);
  if (!action)
    toast.timer = setTimeout(() => {
      box.hidden = true;
    }, 4000);
}

/** A modal question; resolves true when the user confirms. */
export function ask(message, { ok = t("OK"), cancel = t("Cancel"), danger = false, body = null } = {}) {
  return new Promise((resolve) => {
    const title = h("h2", { id: "dlg-title" }, message);
    const dlg = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dlg-title" },
      title,
      body,
      h(
        "div",
        { class: "row end" },
        h("button", { type: "button", class: "btn ghost", onclick: () => dlg.close("cancel") }, cancel),
        h(
          "button",
          { type: "button", class: danger ? "btn danger" : "btn primary", onclick: () => dlg.close("ok") },
          ok,
        ),
      ),
    );
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "ok");
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/**
 * Handle a form's submit with fn, one at a time: a double tap (or Enter pressed
 * twice) never saves twice. The submit button is disabled meanwhile, and stays so
 * once fn resolves true (saved: the next screen is on its way, and a slow phone
 * still shows this one).
 */
export function onSubmit(form, fn) {
  let busy = false;
  const btn = form.querySelector("[type=submit]");
  const free = () => {
    busy = false;
    if (btn) btn.disabled = false;
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    if (btn) btn.disabled = true;
    try {
      if (!(await fn(e))) free();
    } catch (err) {
      free();
      throw err;
    }
  });
  return form;
}

/** What to tell the user when a save failed. */
export const saveError = (e) =>
  e instanceof LimitError
    ? t("This text is too long: at most %(max)s characters.", { max: e.max })
    : e.message || String(e);

/** A labelled form field. */
export function field(label, input, hint) {
  if (!input.id) input.id = `f${Math.random().toString(36).slice(2, 9)}`;
  const id = input.id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  // What is typed takes its own direction (an English name in an Arabic form).
  if (input.matches("textarea, input[type=text]")) input.dir = "auto";
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl);
}

/** A <select> from [[value, label], ...]. */
export function select(options, value, props = {}) {
  return h(
    "select",
    props,
    options.map(([v, l]) => h("option", { value: v, selected: v === value }, l)),
  );
}

/** A progress bar with its figures in text. */
export function progress(done, total, label) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  const bar = h("span", { class: "bar-fill" });
  bar.style.width = `${pct}%`;
  return h(
    "div",
    { class: "progress" },
    h(
      "span",
      {
        class: "bar",
        role: "progressbar",
        "aria-valuemin": "0",
        "aria-valuemax": String(total),
        "aria-valuenow": String(done),
        "aria-label": label,
      },
      bar,
    ),
    h("span", { class: "progress-text" }, t("%(done)s of %(total)s", { done, total })),
  );
}

/**
 * "To discuss (3)". A t() inside a template literal escapes the message extractor:
 * screens pass the translated label here instead.
 */
export const counted = (text, n) => `${text} (${n})`;

/** Empty-state box. */
export const empty = (text, ...more) => h("div", { class: "empty" }, h("p", {}, text), more);

/** Human names of the answer values. */
export const ACTION = () => ({ yes: t("Yes"), no: t("No"), na: t("Not applicable") });

export const ROLES = () => [
  ["manager", t("Manager")],
  ["clinical", t("Nurse, midwife or doctor")],
  ["support", t("Support staff")],
  ["worker_rep", t("Worker representative")],
  ["other", t("Other")],
];
export const roleName = (code) => (ROLES().find(([c]) => c === code) || [null, code || ""])[1];

export const KINDS = () => [
  ["baseline", t("First assessment")],
  ["follow_up", t("Follow-up")],
];
export const ROUND_STATUS = () => [
  ["open", t("Open")],
  ["agreed", t("Plan agreed")],
  ["closed", t("Closed")],
];
export const COSTS = () => [
  ["none", t("No cost")],
  ["low", t("Low cost")],
  ["medium", t("Medium cost")],
  ["high", t("High cost")],
];
export const STATUSES = () => [
  ["planned", t("Planned")],
  ["in_progress", t("In progress")],
  ["done", t("Done")],
  ["dropped", t("Dropped")],
];
export const label = (pairs, v) => (pairs.find(([c]) => c === v) || [null, v || ""])[1];

/** Download a Blob as a file. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Find a checkpoint (and its module) in a checklist. */
export function findCheckpoint(cl, id) {
  for (const m of cl.modules) {
    const i = m.checkpoints.findIndex((c) => c.id === id);
    if (i >= 0) return { module: m, checkpoint: m.checkpoints[i], index: i };
  }
  return null;
}

/**
 * A checkpoint's sources as "title (year)". The server sends each document once, in the
 * checklist's `sources`, and checkpoints refer to it by position; a checklist saved on the
 * phone before that (still used offline) carries the documents in each checkpoint.
 */
export function sourcesOf(cl, c) {
  return (c.sources || [])
    .map((s) => (typeof s === "number" ? (cl.sources || [])[s] : s))
    .filter(Boolean)
    .map((s) => (s.year ? `${s.title} (${s.year})` : s.title));
}

/** Attributes for checklist text that fell back to English. */
export function untranslated(cl, id) {
  return cl.lang !== "en" && (cl.untranslated || []).includes(id) ? { lang: "en" } : {};
}
export function englishBadge(cl, id) {
  return cl.lang !== "en" && (cl.untranslated || []).includes(id) ? h("span", { class: "badge" }, t("English")) : null;
}
