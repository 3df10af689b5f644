// The ranking of checkpoints for action, an exact port of healthwise/plans/priority.py
// (read its docstring for the rule). Pure: a checklist and responses in
// ({answers: {checkpoint id: {action, priority}}}), plain objects out; no DOM, no
// IndexedDB. tests/cases/ranking.json holds the cases it and the server both pass.

const ACTION_POINTS = 40;
const PRIORITY_POINTS = 30;
const HARM_POINTS_PER_LEVEL = 10;
const COST_POINTS = { low: 10, medium: 5, high: 0 };
const COST_RANK = { low: 0, medium: 1, high: 2 };
const ACTIONS = new Set(["yes", "no", "na"]);

/** [module, checkpoint, tally] in checklist order, without withdrawn checkpoints. */
function* tallies(checklist, responses) {
  for (const module of checklist.modules || [])
    for (const checkpoint of module.checkpoints || [])
      if (!checkpoint.withdrawn) yield [module, checkpoint, tally(checkpoint.id, responses)];
}

/**
 * Whether answers disagree about the workplace: one proposes action while another
 * says none is needed ("no") or that it does not apply here ("na").
 */
export const disagrees = (nAction, nNo, nNa) => nAction > 0 && nNo + nNa > 0;

/** Count one checkpoint's answers: {answered, yes, no, na, priority, disagree}. */
export function tally(checkpointId, responses) {
  const out = { answered: 0, yes: 0, no: 0, na: 0, priority: 0 };
  for (const response of responses) {
    const answer = response.answers?.[checkpointId];
    const action = answer?.action;
    if (!ACTIONS.has(action)) continue;
    out.answered++;
    out[action]++;
    // A priority mark only means something next to a proposal for action.
    if (action === "yes" && answer.priority) out.priority++;
  }
  out.disagree = disagrees(out.yes, out.no, out.na);
  return out;
}

const severityOf = (c) => Math.min(3, Math.max(1, Math.trunc(Number(c.severity ?? 1)) || 1));
const costOf = (c) => (Object.hasOwn(COST_POINTS, c.cost ?? "high") ? (c.cost ?? "high") : "high");
const gcd = (a, b) => (b ? gcd(b, a % b) : Math.abs(a));

/** The exact score as a reduced fraction {num, den} (integers). */
function scoreOf(s, severity, cost) {
  const whole = HARM_POINTS_PER_LEVEL * (severity - 1) + COST_POINTS[cost];
  const num = ACTION_POINTS * s.yes + PRIORITY_POINTS * s.priority + whole * s.answered;
  const g = gcd(num, s.answered);
  return { num: num / g, den: s.answered / g };
}

/** Compare two fractions exactly: negative when a < b. */
const cmpScore = (a, b) => a.num * b.den - b.num * a.den;

/** A fraction written as Python's str(Fraction) writes it: "250/3", "60". */
export const fractionText = (f) => (f.den === 1 ? String(f.num) : `${f.num}/${f.den}`);

function reasonsOf(s, severity, cost) {
  const reasons = [{ code: "action_proposed", count: s.yes, total: s.answered }];
  if (s.priority) reasons.push({ code: "priority", count: s.priority, total: s.answered });
  reasons.push({ code: { 3: "severe_harm", 2: "serious_harm" }[severity] || "minor_harm", count: null, total: null });
  reasons.push({ code: { low: "quick_win", medium: "medium_cost" }[cost] || "high_cost", count: null, total: null });
  return reasons;
}

/**
 * Rank the checkpoints where at least one participant proposes action, best first.
 * Ties: higher severity, then lower cost, then checklist order; a rank is shared
 * only by an equal score, severity and cost (1, 2, 2, 4).
 */
export function prioritise(checklist, responses) {
  const candidates = [];
  let order = 0;
  for (const [module, checkpoint, s] of tallies(checklist, responses)) {
    order++;
    if (!s.yes) continue;
    const severity = severityOf(checkpoint);
    const cost = costOf(checkpoint);
    candidates.push({ module, checkpoint, s, severity, cost, order, exact: scoreOf(s, severity, cost) });
  }
  const ranking = (a, b) =>
    cmpScore(b.exact, a.exact) || b.severity - a.severity || COST_RANK[a.cost] - COST_RANK[b.cost];
  candidates.sort((a, b) => ranking(a, b) || a.order - b.order);
  let rank = 0;
  return candidates.map((c, i) => {
    if (i === 0 || ranking(candidates[i - 1], c)) rank = i + 1;
    return {
      rank,
      checkpoint_id: c.checkpoint.id,
      module_id: c.module.id,
      n_participants: c.s.answered,
      n_action: c.s.yes,
      n_priority: c.s.priority,
      severity: c.severity,
      cost: c.cost,
      // Python: round(float(score), 2); no score falls on a tie of that rounding.
      score: Number((c.exact.num / c.exact.den).toFixed(2)),
      exact_score: fractionText(c.exact),
      reason_codes: reasonsOf(c.s, c.severity, c.cost),
    };
  });
}

/** Hand one reason's message to t or tn; the msgids are those of priority.py. */
function say(r, t, tn) {
  const values = r.count === null || r.count === undefined ? {} : { count: r.count, total: r.total ?? 0 };
  switch (r.code) {
    case "action_proposed":
      return tn("%(count)d of %(total)d proposes action", "%(count)d of %(total)d propose action", r.count, values);
    case "priority":
      return tn("%(count)d marks it a priority", "%(count)d mark it a priority", r.count, values);
    case "severe_harm":
      return t("severe harm", values);
    case "serious_harm":
      return t("serious harm", values);
    case "minor_harm":
      return t("minor harm", values);
    case "quick_win":
      return t("low cost: a quick win", values);
    case "medium_cost":
      return t("medium cost", values);
    default:
      return t("high cost", values);
  }
}

/** The reasons as messages to translate: [{msgid, msgid_plural, values}], in order. */
export const reasonMessages = (reasonCodes) =>
  reasonCodes.map((r) =>
    say(
      r,
      (msgid, values) => ({ msgid, msgid_plural: null, values }),
      (msgid, plural, _n, values) => ({ msgid, msgid_plural: plural, values }),
    ),
  );

/** Say why a checkpoint is suggested, through the phone's t()/tn(); reason codes in. */
export const describe = (reasonCodes, t, tn) => reasonCodes.map((r) => say(r, t, tn)).join(t(", "));

/** What is already good: answered, nobody proposes action, someone says "no". */
export const achievements = (checklist, responses) =>
  [...tallies(checklist, responses)]
    .filter(([, , s]) => s.answered && !s.yes && s.no)
    .map(([m, c, s]) => ({ checkpoint_id: c.id, module_id: m.id, n_participants: s.answered, n_in_place: s.no }));

/** What participants disagree on (see disagrees), in checklist order. */
export const disagreements = (checklist, responses) =>
  [...tallies(checklist, responses)]
    .filter(([, , s]) => s.disagree)
    .map(([m, c, s]) => ({
      checkpoint_id: c.id,
      module_id: m.id,
      n_answered: s.answered,
      n_action: s.yes,
      n_priority: s.priority,
      n_no: s.no,
      n_na: s.na,
    }));

/** Whether a checkpoint counts as needing action: at least half who answered propose it. */
export const needsAction = (nAction, nAnswered) => 2 * nAction >= nAnswered;

/** Per module, the share of answered checkpoints that need action (null: none answered). */
export function moduleShares(checklist, responses) {
  return (checklist.modules || []).map((module) => {
    const checkpoints = (module.checkpoints || []).filter((c) => !c.withdrawn);
    let nAnswered = 0;
    let nAction = 0;
    for (const checkpoint of checkpoints) {
      const s = tally(checkpoint.id, responses);
      if (!s.answered) continue;
      nAnswered++;
      if (needsAction(s.yes, s.answered)) nAction++;
    }
    return {
      module_id: module.id,
      number: Math.trunc(Number(module.number ?? 0)),
      n_checkpoints: checkpoints.length,
      n_answered: nAnswered,
      n_action: nAction,
      share: nAnswered ? nAction / nAnswered : null,
    };
  });
}
