// The phone's records as the screens ask for them: rounds, their participants,
// answers and action items, the group's counts, and a round's plan (the server's,
// kept, or one worked out on the phone). Every write goes through outbox.js.
import { kept } from "./cache.js";
import * as db from "./db.js";
import { announce } from "./events.js";
import { current } from "./i18n.js";
import { apply } from "./outbox.js";
import * as priority from "./priority.js";

/** One record, or undefined. */
export const record = (type, id) => db.get("records", [type, id]);

/** The records of `type` whose parent (assessment, response...) is `parentId`. */
export const childrenOf = async (type, parentId) =>
  (await db.byIndex("records", "parent", String(parentId))).filter((r) => r.type === type);

const byCreated = (a, b) => (a.created || 0) - (b.created || 0) || a.id.localeCompare(b.id);

/** The rounds of this facility, newest first; a removed round is hidden on every phone. */
export async function rounds() {
  const list = (await db.byIndex("records", "type", "assessment")).filter((a) => !a.fields.removed);
  const started = (a) => String(a.fields.started_on || "");
  return list.sort((a, b) => started(b).localeCompare(started(a)) || (b.created || 0) - (a.created || 0));
}

/** A round's participants (responses), in the order they joined. */
export const responsesOf = async (aid) => (await childrenOf("response", aid)).sort(byCreated);

/** A round's agreed actions, by rank. */
export async function actionItemsOf(aid) {
  const rank = (x) => x.fields.rank ?? 1e9;
  return (await childrenOf("action_item", aid)).sort(
    (x, y) => rank(x) - rank(y) || (x.created || 0) - (y.created || 0),
  );
}

/** The district manager's review of a round (a read-only record), or undefined. */
export const reviewOf = async (aid) => (await childrenOf("review", aid))[0];

/** The statuses of an action still to be done. */
export const OPEN = new Set(["planned", "in_progress"]);

const pad = (n) => String(n).padStart(2, "0");
/** Today on this phone, as YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** An open action (planned or in progress) due before today: the server's rule, offline. */
export const isOverdue = (f, on = today()) => OPEN.has(f.status || "planned") && !!f.due_on && String(f.due_on) < on;

/**
 * The previous round's open actions carried into round `a` (the PDF's `carried_forward`):
 * those whose checkpoint this round has not taken into its own plan.
 */
export async function carriedForward(a) {
  if (!a?.fields.previous_id) return [];
  const taken = new Set((await actionItemsOf(a.id)).map((i) => i.fields.checkpoint_id).filter(Boolean));
  return (await actionItemsOf(a.fields.previous_id)).filter(
    (i) => OPEN.has(i.fields.status || "planned") && !taken.has(i.fields.checkpoint_id),
  );
}

/** The round (assessment id) a record belongs to. */
export async function roundIdOf(rec) {
  const f = rec.fields || {};
  if (rec.type === "assessment") return rec.id;
  if (rec.type === "answer") return (await record("response", f.response_id))?.fields.assessment_id;
  return f.assessment_id;
}

/** This response's answers by checkpoint id. */
export async function answersOf(responseId) {
  return new Map((await childrenOf("answer", responseId)).map((r) => [r.fields.checkpoint_id, r]));
}

/** Whether `answers` (from answersOf) has an answer for this checkpoint. */
export const isAnswered = (answers, cpId) => !!(answers.get(cpId) || { fields: {} }).fields.action;

/** Checkpoints counted for "done", as a Set of ids: every module that is not optional. */
export const requiredIds = (cl) =>
  new Set(cl.modules.filter((m) => !m.optional).flatMap((m) => m.checkpoints.map((c) => c.id)));

/**
 * The checklist as a round walks it: a workshop trainer may choose modules (the round's
 * `modules`); then only those, each counted for "done". Empty or missing: all of it.
 */
export function walkedBy(cl, a) {
  const ids = a?.fields?.modules || [];
  if (!cl || !ids.length) return cl;
  return { ...cl, modules: cl.modules.filter((m) => ids.includes(m.id)).map((m) => ({ ...m, optional: false })) };
}

/** How many checkpoints are counted for "done". */
export const totalCheckpoints = (cl) => requiredIds(cl).size;

/** How many of the counted checkpoints this response has answered. */
export async function answeredCount(responseId, cl) {
  const answers = await answersOf(responseId);
  return [...requiredIds(cl)].filter((id) => isAnswered(answers, id)).length;
}

/** Remember the checkpoint a response is at. */
export const keepPosition = (responseId, cpId) => db.set("meta", `pos:${responseId}`, cpId);

/** Where to continue: the saved position, else the first checkpoint without an answer. */
export async function nextCheckpoint(cl, responseId, answers) {
  const pos = await db.get("meta", `pos:${responseId}`);
  if (pos) return pos;
  for (const m of cl.modules) for (const c of m.checkpoints) if (!isAnswered(answers, c.id)) return c.id;
  return cl.modules[0].checkpoints[0].id;
}

/** The round's responses and their answers (Map response id -> Map checkpoint -> answer). */
export async function groupData(aid) {
  const responses = await responsesOf(aid);
  const answers = new Map();
  for (const r of responses) answers.set(r.id, await answersOf(r.id));
  return { responses, answers };
}

/** The round's answers as priority.js reads them: [{answers: {checkpoint id: fields}}]. */
export const sheets = ({ responses, answers }) =>
  responses.map((r) => ({ answers: Object.fromEntries([...answers.get(r.id)].map(([id, a]) => [id, a.fields])) }));

/**
 * One checkpoint's answers across participants (`data` from groupData): priority.js's
 * counts (yes, no, na, answered, priority, disagree), `none` and each participant's vote.
 */
export function tally(cpId, { responses, answers }) {
  const votes = responses.map((r) => {
    const f = answers.get(r.id).get(cpId)?.fields || {};
    const action = f.action || null;
    return { response: r, action, priority: action === "yes" && !!f.priority, remark: f.remark || "" };
  });
  const out = priority.tally(
    cpId,
    votes.map((v) => ({ answers: { [cpId]: v } })),
  );
  return { ...out, none: votes.length - out.answered, votes };
}

/**
 * The round's plan worked out on the phone by the server's rule (priority.js), for
 * when the server's is not available; `previous`: the previous round's groupData.
 */
export function localPlan(cl, data, previous) {
  const answered = sheets(data);
  const before = previous ? priority.moduleShares(cl, sheets(previous)) : [];
  return {
    participants: data.responses.length,
    // Worded where shown, from reason_codes, like the server's plan.
    suggested: priority.prioritise(cl, answered),
    achievements: priority.achievements(cl, answered),
    disagreements: priority.disagreements(cl, answered),
    modules: priority.moduleShares(cl, answered).map((m, i) => ({
      id: m.module_id,
      title: cl.modules[i].title,
      share: m.share,
      previous_share: before.find((b) => b.module_id === m.module_id)?.share ?? null,
    })),
    local: true,
  };
}

/** Plan items may come as records ({id, rev, fields}) or flat objects. */
function asChange(item) {
  if (item.fields) return { type: "action_item", ...item };
  const { id, rev, conflicts, type, ...fields } = item;
  return { type: type || "action_item", id, rev, fields, conflicts: conflicts || [] };
}

/** The plan's agreed items are records: keep them as pulled ones. */
async function pullItems(p) {
  if (!Array.isArray(p.items) || !p.items.length) return;
  await apply({ results: [], changes: p.items.map(asChange) }, []);
  announce("records");
}

/**
 * The server's suggested plan of a round, kept for offline (its `fetched` time says
 * how old), refreshed at most once a minute; its agreed items are kept as records.
 * Asked in the phone's language and kept per language.
 * Undefined when none is kept and the server has not answered within `wait` ms (or
 * cannot be reached). `onFresh(plan)` runs when a newer one is kept.
 */
export function serverPlan(assessmentId, { onFresh, wait = 4000 } = {}) {
  // Reasons and module titles are worded by the server: one copy per language.
  const lang = current();
  const path = `/api/v1/assessments/${encodeURIComponent(assessmentId)}/plan?lang=${encodeURIComponent(lang)}`;
  const opts = { every: 60000, wait, timeout: 15000, received: pullItems, onFresh };
  return kept("meta", `plan:${assessmentId}:${lang}`, path, opts).catch(() => undefined);
}
