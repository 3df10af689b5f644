// Walk-through, first screen: the modules with their progress.
import * as db from "../db.js";
import * as sync from "../sync.js";
import { t, tn } from "../i18n.js";
import { h, link, ask, progress, toast, roleName } from "./ui.js";

/** Checkpoints counted for "done": every module that is not optional. */
export const totalCheckpoints = (cl) => cl.modules.filter((m) => !m.optional).reduce((n, m) => n + m.checkpoints.length, 0);

/** This response's answers by checkpoint id. */
export async function answersOf(responseId) {
  const map = new Map();
  for (const r of await db.children(responseId)) if (r.type === "answer") map.set(r.fields.checkpoint_id, r);
  return map;
}

/** Checkpoints counted for "done", as a Set of ids. */
export const requiredIds = (cl) => new Set(cl.modules.filter((m) => !m.optional).flatMap((m) => m.checkpoints.map((c) => c.id)));

/** How many of the counted checkpoints this response has answered. */
export async function answeredCount(responseId, cl) {
  const required = requiredIds(cl);
  let n = 0;
  for (const [id, a] of await answersOf(responseId)) if (a.fields.action && required.has(id)) n++;
  return n;
}

/** Where to continue: the saved position, else the first checkpoint without an answer. */
export async function nextCheckpoint(cl, responseId, answers) {
  const pos = await db.get("meta", `pos:${responseId}`);
  if (pos) return pos;
  for (const m of cl.modules) for (const c of m.checkpoints) if (!(answers.get(c.id) || { fields: {} }).fields.action) return c.id;
  return cl.modules[0].checkpoints[0].id;
}

export default async function modules(root, { rid }, view) {
  const resp = await db.record("response", rid);
  if (!resp) {
    view.title(t("Walk-through"), "/");
    root.append(h("p", {}, t("This checklist is not on this phone.")), link("#/", t("Home")));
    return;
  }
  const cl = await view.checklist();
  const aid = resp.fields.assessment_id;
  view.title(t("Your checklist"), `/round/${aid}`);
  const answers = await answersOf(rid);
  const total = totalCheckpoints(cl);
  let done = 0;
  for (const m of cl.modules) if (!m.optional) for (const c of m.checkpoints) if ((answers.get(c.id) || { fields: {} }).fields.action) done++;
  const next = await nextCheckpoint(cl, rid, answers);

  root.append(h("div", { class: "card" },
    h("h2", {}, resp.fields.participant || t("Anonymous")),
    h("p", { class: "meta" }, roleName(resp.fields.role)),
    progress(done, total, t("Checkpoints answered")),
    resp.fields.completed ? h("p", {}, h("span", { class: "badge ok" }, t("Completed"))) : null,
    h("div", { class: "actions" }, link(`#/walk/${rid}/${next}`, done ? t("Continue") : t("Start"), "btn primary block big"))));

  root.append(h("h2", { class: "section" }, t("Modules")));
  const ul = h("ul", { class: "list" });
  for (const m of cl.modules) {
    const n = m.checkpoints.filter((c) => (answers.get(c.id) || { fields: {} }).fields.action).length;
    const first = m.checkpoints.find((c) => !(answers.get(c.id) || { fields: {} }).fields.action) || m.checkpoints[0];
    const full = n === m.checkpoints.length;
    ul.append(h("li", {}, h("a", { class: `item${full ? " done" : ""}`, href: `#/walk/${rid}/${first.id}` },
      h("span", { class: "name" }, h("span", { class: "mod-num", "aria-hidden": "true" }, full ? "✓" : String(m.number)), m.title),
      m.optional ? h("span", { class: "badge" }, t("Optional")) : null,
      progress(n, m.checkpoints.length, m.title))));
  }
  root.append(ul);

  if (!resp.fields.completed) {
    root.append(h("button", {
      type: "button", class: "btn block", onclick: async () => {
        const left = total - done;
        if (left > 0 && !(await ask(tn("One checkpoint has no answer. Finish anyway?", "%(n)s checkpoints have no answer. Finish anyway?", left, { n: left }), { ok: t("Finish") }))) return;
        await sync.edit("response", rid, { completed: true });
        toast(t("Thank you. Your answers are saved and will be shared with the committee."));
        view.go(`/round/${aid}`);
      },
    }, t("I have finished")));
  }
  root.append(h("div", { class: "actions" }, link(`#/group/${aid}`, t("Compare with the group"), "btn ghost block")));
}
