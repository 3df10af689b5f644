// Walk-through: one checkpoint at a time. Every tap is saved on the phone at once.
import { DRAFT } from "../db.js";
import { t } from "../i18n.js";
import { maxLengths } from "../limits.js";
import { create, edit } from "../outbox.js";
import { answersOf, keepPosition, record, walkedBy } from "../records.js";
import { picker } from "./photo.js";
import { englishBadge, findCheckpoint, h, link, saveError, sourcesOf, untranslated } from "./ui.js";

// The remark being typed is also kept in localStorage, which writes synchronously:
// if the tab is closed or the phone dies before it reaches IndexedDB, the next start
// saves it (recoverDraft). One draft at a time: only one remark is typed at once.
const keepDraft = (d) => {
  try {
    localStorage.setItem(DRAFT, JSON.stringify(d));
  } catch (_) {
    /* private mode */
  }
};
const dropDraft = () => {
  try {
    localStorage.removeItem(DRAFT);
  } catch (_) {
    /* idem */
  }
};

/** Save a remark left in localStorage by a page that closed before saving it. */
export async function recoverDraft() {
  let d = null;
  try {
    d = JSON.parse(localStorage.getItem(DRAFT) || "null");
  } catch (_) {
    /* unreadable: drop it */
  }
  if (!d?.rid || !d.cp) return dropDraft();
  const ans = (await answersOf(d.rid)).get(d.cp);
  if (!ans)
    await create("answer", {
      response_id: d.rid,
      checkpoint_id: d.cp,
      action: null,
      priority: false,
      remark: d.remark,
    });
  else if (ans.fields.remark !== d.remark) await edit("answer", ans.id, { remark: d.remark });
  dropDraft();
}

function list(title, items, attrs) {
  if (!items?.length) return null;
  return [
    h("h3", {}, title),
    h(
      "ul",
      attrs,
      items.map((x) => h("li", {}, x)),
    ),
  ];
}

export default async function checkpoint(root, { rid, cp }, view) {
  const [resp, full, max] = await Promise.all([record("response", rid), view.checklist(), maxLengths("answer")]);
  const cl = resp ? walkedBy(full, await record("assessment", resp.fields.assessment_id)) : full;
  const found = findCheckpoint(cl, cp);
  if (!resp || !found) {
    view.title(t("Walk-through"), "/");
    root.append(h("p", {}, t("This checkpoint is not on this phone.")), link(resp ? `#/walk/${rid}` : "#/", t("Back")));
    return;
  }
  const { module: mod, checkpoint: c, index } = found;
  view.title(mod.title, `/walk/${rid}`);
  keepPosition(rid, c.id).catch(() => {});

  const flat = cl.modules.flatMap((m) => m.checkpoints.map((x) => x.id));
  const at = flat.indexOf(c.id);
  const answers = await answersOf(rid);
  let ans = answers.get(c.id) || null;
  const f = ans ? ans.fields : { action: null, priority: false, remark: "" };
  const tr = untranslated(cl, c.id);

  // Saves run one after another so two quick taps never create two answers.
  let queue = Promise.resolve();
  const saved = h("p", { class: "saved", role: "status" });
  const save = (fields) => {
    queue = queue
      .then(async () => {
        ans = ans
          ? await edit("answer", ans.id, fields)
          : await create("answer", {
              response_id: rid,
              checkpoint_id: c.id,
              action: null,
              priority: false,
              remark: "",
              ...fields,
            });
        saved.className = "saved";
        saved.textContent = t("Saved on this phone");
      })
      .catch((e) => {
        saved.className = "error";
        saved.textContent = t("Could not save: %(reason)s", { reason: saveError(e) });
      });
    return queue;
  };

  const actions = [
    ["yes", t("Yes")],
    ["no", t("No")],
    ["na", t("Not applicable")],
  ];
  const prio = h("input", { type: "checkbox", name: "priority", checked: !!f.priority, disabled: f.action !== "yes" });
  const radios = actions.map(([v, l]) => {
    const input = h("input", { type: "radio", name: "action", value: v, checked: f.action === v });
    input.addEventListener("change", () => {
      const fields = { action: v };
      if (v !== "yes" && prio.checked) {
        prio.checked = false;
        fields.priority = false;
      }
      prio.disabled = v !== "yes";
      save(fields);
    });
    return h("label", { class: "choice" }, input, h("span", {}, l));
  });
  prio.addEventListener("change", () => save({ priority: prio.checked }));

  const remark = h("textarea", { name: "remark", rows: "3", maxlength: max.remark, dir: "auto" });
  remark.value = f.remark || "";
  let lastRemark = remark.value;
  let timer = null;
  const flush = () => {
    clearTimeout(timer);
    if (remark.value !== lastRemark) {
      lastRemark = remark.value;
      save({ remark: remark.value }).then(() => remark.value === lastRemark && dropDraft());
    }
  };
  remark.addEventListener("input", () => {
    keepDraft({ rid, cp: c.id, remark: remark.value });
    clearTimeout(timer);
    timer = setTimeout(flush, 800);
  });
  remark.addEventListener("change", flush);
  const onHide = () => document.visibilityState === "hidden" && flush();
  document.addEventListener("visibilitychange", onHide);
  window.addEventListener("pagehide", flush);
  // The remark stays above the sticky bar when focused, and when the on-screen
  // keyboard then shrinks the window.
  const reveal = () => {
    const bar = root.querySelector(".walk-nav");
    if (document.activeElement !== remark || !bar) return;
    const r = remark.getBoundingClientRect();
    const limit = Math.min(bar.getBoundingClientRect().top, window.visualViewport?.height ?? innerHeight);
    if (r.bottom > limit || r.top < 0) remark.scrollIntoView({ block: "center" });
  };
  remark.addEventListener("focus", () => requestAnimationFrame(reveal));
  const onResize = () => setTimeout(reveal, 100);
  (window.visualViewport || window).addEventListener("resize", onResize);
  view.onleave(() => {
    (window.visualViewport || window).removeEventListener("resize", onResize);
    flush();
    document.removeEventListener("visibilitychange", onHide);
    window.removeEventListener("pagehide", flush);
  });

  const prev = at > 0 ? `#/walk/${rid}/${flat[at - 1]}` : `#/walk/${rid}`;
  const next = at < flat.length - 1 ? `#/walk/${rid}/${flat[at + 1]}` : `#/walk/${rid}`;

  root.append(
    h(
      "div",
      { class: "cp-head" },
      h("span", {}, t("Checkpoint %(i)s of %(n)s", { i: index + 1, n: mod.checkpoints.length })),
      h(
        "span",
        { class: "row" },
        englishBadge(cl, c.id),
        c.sensitive ? h("span", { class: "badge warn" }, t("Sensitive")) : null,
        h("span", { class: "mono" }, c.id),
      ),
    ),
    h("p", { class: "cp-action", ...tr }, c.action),
    h(
      "fieldset",
      {},
      h("legend", { class: "q" }, t("Do you propose action?")),
      h("div", { class: "choices answer" }, radios),
    ),
    h(
      "label",
      { class: "toggle" },
      prio,
      h("span", { class: "knob", "aria-hidden": "true" }),
      h("span", {}, t("Priority")),
    ),
    h(
      "details",
      { class: "more" },
      h("summary", {}, t("Why and how")),
      h(
        "div",
        tr,
        c.why ? [h("h3", {}, t("Why it matters")), h("p", {}, c.why)] : null,
        list(t("How to do it"), c.how),
        list(t("More hints"), c.hints),
        // Sources are documents cited by their own (English) titles.
        list(t("Sources"), sourcesOf(cl, c), { class: "small", lang: "en" }),
      ),
    ),
    index === 0 && mod.intro
      ? h("details", { class: "more" }, h("summary", {}, t("About this module")), h("div", {}, h("p", {}, mod.intro)))
      : null,
    c.sensitive
      ? h(
          "p",
          { class: "meta" },
          t("Sensitive topic: district reports only show counts for groups of five or more, never names."),
        )
      : null,
    h(
      "div",
      { class: "field" },
      h("label", { for: "remark" }, t("Remark (optional)")),
      Object.assign(remark, { id: "remark" }),
    ),
    // Evidence: kept on the phone with the answer, uploaded after it syncs.
    picker({
      current: () => ans?.fields.photos || [],
      save: (photos) => save({ photos }),
      sensitive: !!c.sensitive,
    }),
    saved,
    h(
      "nav",
      { class: "walk-nav", "aria-label": t("Checkpoints") },
      h(
        "a",
        { class: "btn", href: prev, onclick: flush },
        h("span", { class: "chev prev", "aria-hidden": "true" }),
        t("Previous"),
      ),
      h(
        "a",
        { class: "btn primary", href: next, onclick: flush },
        at < flat.length - 1 ? t("Next") : t("Finish"),
        h("span", { class: "chev next", "aria-hidden": "true" }),
      ),
    ),
  );
}
