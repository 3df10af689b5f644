// To discuss: the one place where a committee finds what it must talk over in a
// round: where participants answered differently, and where phones wrote different
// values (the server's open conflicts, and values of this phone that a newer change
// replaced). Each is said in a sentence; a conflict is settled by picking a value.
import { deviceId } from "../enrol.js";
import { fmtDate, t, tn } from "../i18n.js";
import { edit } from "../outbox.js";
import { carriedForward, groupData, record, roundIdOf, tally } from "../records.js";
import { status } from "../sync.js";
import { describe, FIELD, showValue } from "./outbox.js";
import { counted, h, link, toast, untranslated } from "./ui.js";

/** What participants disagree on in a round (the one rule, priority.js disagrees): [{checkpoint, module, s}]. */
export function disagreements(cl, data) {
  const out = [];
  for (const m of cl.modules)
    for (const c of m.checkpoints) {
      const s = tally(c.id, data);
      if (s.disagree) out.push({ checkpoint: c, module: m, s });
    }
  return out;
}

/**
 * A round's open conflicts, from status().conflicts: its own records', and those of the
 * previous round's actions it carries forward (updated from this round's plan).
 */
export async function conflictsOf(aid, st) {
  const carried = new Set((await carriedForward(await record("assessment", aid))).map((i) => i.id));
  const out = [];
  for (const x of (st || (await status())).conflicts)
    if (carried.has(x.record.id) || (await roundIdOf(x.record)) === aid) out.push(x);
  return out;
}

/** How many things a round has to discuss (for the links to this screen). */
export async function discussCount(aid, cl, st) {
  const data = await groupData(aid);
  return (cl ? disagreements(cl, data).length : 0) + (await conflictsOf(aid, st)).length;
}

/** "3 propose action, 2 say no action is needed" */
export function voteSentence(s) {
  return [
    tn("one proposes action", "%(n)s propose action", s.yes),
    tn("one says no action is needed", "%(n)s say no action is needed", s.no),
    s.na ? tn("one says it does not apply", "%(n)s say it does not apply", s.na) : null,
  ]
    .filter(Boolean)
    .join(", ");
}

/** One conflict explained, with a button for each value. */
function conflictCard(rec, conflict, d, mine, view) {
  const F = FIELD();
  const name = F[conflict.field] || conflict.field;
  const kept = rec.fields[conflict.field];
  const show = (v) => showValue(rec.type, conflict.field, v);
  const choose = async (value) => {
    await edit(rec.type, rec.id, { [conflict.field]: value });
    toast(t("Your choice will be sent with the next sync."));
    view.rerender();
  };
  // Babel's extractor misses a t() nested in another call's arguments: one at a time.
  const whose = conflict.device_id === mine ? t("this phone") : t("another phone");
  const sentence = conflict.overwritten
    ? t("This phone set %(field)s to “%(mine)s”, but a newer change from another phone set it to “%(other)s”.", {
        field: name,
        mine: show(conflict.value),
        other: show(kept),
      })
    : t("Two phones set %(field)s differently: “%(kept)s” (kept for now) and “%(other)s” (%(whose)s).", {
        field: name,
        kept: show(kept),
        other: show(conflict.value),
        whose,
      });
  return h(
    "div",
    { class: "card conflict" },
    h("p", {}, d.href ? h("a", { href: d.href }, d.text) : d.text),
    h("p", { class: "q" }, name),
    h("p", {}, sentence),
    h("p", {}, t("Talk it over and pick one:")),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", class: "btn", onclick: () => choose(kept) },
        t("Keep “%(value)s”", { value: show(kept) }),
      ),
      h(
        "button",
        { type: "button", class: "btn", onclick: () => choose(conflict.value) },
        t("Use “%(value)s”", { value: show(conflict.value) }),
      ),
    ),
    conflict.at ? h("p", { class: "meta" }, t("Other value set %(when)s", { when: fmtDate(conflict.at, true) })) : null,
  );
}

export default async function discuss(root, { aid }, view) {
  view.title(t("To discuss"), `/round/${aid}`);
  view.live();
  const [a, cl, data, st, mine] = await Promise.all([
    record("assessment", aid),
    view.checklist().catch(() => null),
    groupData(aid),
    status(),
    deviceId(),
  ]);
  root.append(
    h("p", { class: "meta" }, a ? a.fields.title : ""),
    h(
      "p",
      {},
      t(
        "What the committee talks over before it agrees: where participants answered differently, and where phones wrote different values.",
      ),
    ),
  );

  // What participants disagree on.
  const dis = cl ? disagreements(cl, data) : [];
  root.append(h("h2", { class: "section", id: "disagree" }, counted(t("Where participants disagree"), dis.length)));
  if (!dis.length) root.append(h("p", { class: "muted" }, t("No disagreements.")));
  for (const { checkpoint: c, s } of dis) {
    root.append(
      h(
        "div",
        { class: "card disagree" },
        h("p", { class: "cp-head" }, h("span", { class: "mono" }, c.id)),
        h("p", untranslated(cl, c.id), c.action),
        h("p", { class: "q" }, voteSentence(s)),
        link(`#/group/${aid}?show=disagree`, t("See who answered what"), "btn small"),
      ),
    );
  }

  // What phones wrote differently.
  const conflicts = await conflictsOf(aid, st);
  root.append(
    h("h2", { class: "section", id: "conflicts" }, counted(t("Where phones wrote differently"), conflicts.length)),
  );
  if (!conflicts.length) root.append(h("p", { class: "muted" }, t("Nothing to discuss.")));
  for (const { record: rec, conflict } of conflicts)
    root.append(conflictCard(rec, conflict, await describe(rec, cl), mine, view));

  root.append(
    h(
      "div",
      { class: "actions" },
      link(`#/group/${aid}`, t("Group view: compare answers"), "btn block"),
      link(`#/plan/${aid}`, t("Go to the action plan"), "btn primary block"),
    ),
  );
}
