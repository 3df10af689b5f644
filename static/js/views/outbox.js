// Sync: what is not yet sent, items "to discuss" (conflicts) and rejected changes to fix.
import { OfflineError } from "../api.js";
import { ago, fmtDate, t, tn } from "../i18n.js";
import { discard, discarded, retry } from "../outbox.js";
import { record, roundIdOf } from "../records.js";
import { status, syncNow } from "../sync.js";
import { confirmLoss } from "./settings.js";
import {
  ACTION,
  COSTS,
  empty,
  findCheckpoint,
  h,
  KINDS,
  label,
  link,
  ROUND_STATUS,
  roleName,
  STATUSES,
  since,
  toast,
  tu,
  user,
} from "./ui.js";

export const FIELD = () => ({
  title: t("Title"),
  kind: t("Kind"),
  status: t("Status"),
  started_on: t("Start date"),
  previous_id: t("Previous round"),
  participant: t("Participant"),
  role: t("Role"),
  completed: t("Completed"),
  action: t("Action"),
  priority: t("Priority"),
  remark: t("Remark"),
  responsible: t("Responsible"),
  due_on: t("Due date"),
  cost: t("Cost"),
  progress_note: t("Progress"),
  rank: t("Rank"),
  photos: t("Photos"),
});

/** A value as a person reads it. */
export function showValue(type, fieldName, v) {
  if (v === null || v === undefined || v === "") return t("(empty)");
  if (typeof v === "boolean") return v ? t("Yes") : t("No");
  if (fieldName === "photos")
    return v.length ? tn("One photo", "%(n)s photos", v.length, { n: v.length }) : t("(empty)");
  if (type === "answer" && fieldName === "action") return ACTION()[v] || v;
  if (fieldName === "cost") return label(COSTS(), v);
  if (type === "action_item" && fieldName === "status") return label(STATUSES(), v);
  if (type === "assessment" && fieldName === "status") return label(ROUND_STATUS(), v);
  if (fieldName === "kind") return label(KINDS(), v);
  if (fieldName === "role") return roleName(v);
  if (fieldName === "due_on" || fieldName === "started_on") return fmtDate(v);
  return String(v);
}

/** One line that says which record this is (nodes: names and texts isolated), and where to open it. */
export async function describe(rec, cl) {
  const f = rec?.fields || {};
  switch (rec?.type) {
    case "answer": {
      const found = cl && findCheckpoint(cl, f.checkpoint_id);
      const resp = f.response_id ? await record("response", f.response_id) : null;
      const who = resp ? resp.fields.participant || t("Anonymous") : "";
      return {
        text: [`${f.checkpoint_id} · `, found ? found.checkpoint.action : "", who ? [" (", user(who), ")"] : ""],
        href: `#/walk/${f.response_id}/${f.checkpoint_id}`,
      };
    }
    case "response":
      return { text: tu("Participant: %(who)s", { who: f.participant || t("Anonymous") }), href: `#/walk/${rec.id}` };
    case "assessment":
      return { text: tu("Round: %(title)s", { title: f.title || "" }), href: `#/round/${rec.id}` };
    case "action_item":
      return {
        text: tu("Action: %(action)s", { action: f.action || "" }),
        href: `#/plan/${f.assessment_id}/item/${rec.id}`,
      };
    default:
      return { text: rec ? rec.id : "", href: null };
  }
}

/** The sync state box (home and this screen). */
export function syncCard(st, view, { compact = false } = {}) {
  const btn = h(
    "button",
    { type: "button", class: "btn primary", disabled: st.syncing || st.revoked },
    st.syncing ? t("Syncing…") : t("Sync now"),
  );
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    btn.textContent = t("Syncing…");
    try {
      await syncNow();
      const { stuck } = await status();
      toast(
        stuck.length
          ? tn("Synced. One change still needs you.", "Synced. %(n)s changes still need you.", stuck.length, {
              n: stuck.length,
            })
          : t("Everything is up to date."),
      );
    } catch (e) {
      toast(
        e instanceof OfflineError
          ? t("No connection. Your changes are safe on this phone and will be sent later.")
          : t("Sync failed: %(reason)s", { reason: e.message }),
      );
    }
    view.rerender();
  });
  const lines = [];
  // "All sent" only when nothing at all is left: neither waiting nor set aside.
  lines.push(
    h(
      "p",
      { class: "q" },
      st.pending
        ? tn("One change not yet sent", "%(n)s changes not yet sent", st.pending, { n: st.pending })
        : st.stuck.length
          ? tn("One change could not be sent", "%(n)s changes could not be sent", st.stuck.length, {
              n: st.stuck.length,
            })
          : t("All changes sent"),
    ),
  );
  lines.push(
    h(
      "p",
      { class: "meta" },
      st.lastSync ? since(st.lastSync, (ts) => t("Last sync: %(when)s", { when: ago(ts) })) : t("Not synced yet"),
      st.online ? "" : ` · ${t("Offline")}`,
    ),
  );
  if (st.photos?.count)
    lines.push(
      h(
        "p",
        { class: "meta photos-waiting" },
        tn(
          "One photo waiting to upload (%(size)s KB)",
          "%(n)s photos waiting to upload (%(size)s KB)",
          st.photos.count,
          {
            n: st.photos.count,
            size: Math.max(1, Math.round(st.photos.bytes / 1024)),
          },
        ),
      ),
    );
  if (st.error && !(st.error instanceof OfflineError) && !st.revoked)
    lines.push(h("p", { class: "error" }, t("Last try failed: %(reason)s", { reason: st.error.message })));
  const extra = h("div", { class: "row" });
  const discuss = st.conflicts.length;
  const fix = st.stuck.length;
  for (const text of [
    discuss && tn("One item to discuss", "%(n)s items to discuss", discuss, { n: discuss }),
    fix && tn("One change to fix", "%(n)s changes to fix", fix, { n: fix }),
  ]) {
    if (text) extra.append(link("#/sync", text, "btn small"));
  }
  return h(
    "section",
    { class: "card", "aria-label": t("Sync status") },
    lines,
    h(
      "div",
      { class: "row spread" },
      btn,
      compact && st.outbox.length ? link("#/sync", t("Details"), "btn ghost small") : null,
    ),
    extra.childNodes.length ? extra : null,
  );
}

export default async function outbox(root, _params, view) {
  view.live();
  const st = await status();
  // Named by what is left: nothing unsent is never "Not yet sent".
  view.title(st.outbox.length ? t("Not yet sent") : st.conflicts.length ? t("To discuss") : t("All changes sent"), "/");
  let cl = null;
  try {
    cl = await view.checklist();
  } catch (_) {
    /* descriptions without texts */
  }
  const F = FIELD();
  root.append(syncCard(st, view));

  // To discuss: each round's own screen holds its conflicts with its disagreements.
  root.append(h("h2", { class: "section", id: "discuss" }, t("To discuss")));
  if (!st.conflicts.length) root.append(h("p", { class: "muted" }, t("Nothing to discuss.")));
  const byRound = new Map();
  for (const x of st.conflicts) {
    const aid = await roundIdOf(x.record);
    byRound.set(aid, (byRound.get(aid) || 0) + 1);
  }
  for (const [aid, n] of byRound) {
    const a = aid ? await record("assessment", aid) : null;
    const what = tn("one value to discuss", "%(n)s values to discuss", n);
    root.append(
      link(
        `#/discuss/${aid}`,
        a?.fields.title ? [user(a.fields.title), `: ${what}`] : `${t("Round")}: ${what}`,
        "btn block",
      ),
    );
  }

  // Set aside: refused by the server, or failing alone; the user fixes or discards them.
  // Editing the record again also fixes it: the new value replaces the one set aside.
  root.append(h("h2", { class: "section" }, t("To fix")));
  if (!st.stuck.length) root.append(h("p", { class: "muted" }, t("Nothing to fix.")));
  for (const c of st.stuck) {
    const rec = await record(c.type, c.id);
    const d = await describe(rec || { type: c.type, id: c.id, fields: c.fields }, cl);
    const reason = c.error?.message || "";
    root.append(
      h(
        "div",
        { class: "card alert" },
        h("p", {}, d.href ? h("a", { href: d.href }, d.text) : d.text),
        // The values a person set; ids and references say nothing to them.
        h(
          "p",
          {},
          Object.entries(c.fields)
            .filter(([k]) => k in F)
            .flatMap(([k, v], i) => [i ? " · " : "", `${F[k]}: `, user(showValue(c.type, k, v))]),
        ),
        h(
          "p",
          { class: "error" },
          c.status === "failed"
            ? t(
                "The server failed on this change (%(reason)s). The other changes are sent; this one is tried again at each sync.",
                { reason },
              )
            : t("The server refused this change: %(reason)s", { reason }),
        ),
        h(
          "div",
          { class: "row" },
          h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: async () => {
                await retry(c.seq);
                view.rerender();
              },
            },
            t("Try again"),
          ),
          h(
            "button",
            {
              type: "button",
              class: "btn small ghost",
              onclick: async () => {
                // A create takes the changes waiting behind it along: say how many.
                const n = (await discarded(c.seq)).length;
                if (await confirmLoss(t("Discard this change?"), n, t("Discard"))) {
                  await discard(c.seq);
                  view.rerender();
                }
              },
            },
            t("Discard"),
          ),
        ),
      ),
    );
  }

  // Waiting: everything still in the outbox.
  const pending = st.outbox.filter((c) => c.status === "pending");
  root.append(h("h2", { class: "section" }, t("Waiting to be sent")));
  if (!pending.length)
    root.append(
      empty(
        st.stuck.length
          ? t("Nothing else is waiting.")
          : t("Nothing is waiting. Everything on this phone is on the server."),
      ),
    );
  else {
    const counts = {};
    for (const c of pending) counts[c.type] = (counts[c.type] || 0) + 1;
    const names = {
      assessment: t("Rounds"),
      response: t("Participants"),
      answer: t("Answers"),
      action_item: t("Plan actions"),
    };
    root.append(
      h(
        "ul",
        { class: "list" },
        Object.entries(counts).map(([k, n]) =>
          h(
            "li",
            { class: "item" },
            h("span", { class: "name" }, names[k] || k),
            h("span", { class: "meta" }, tn("one change", "%(n)s changes", n, { n })),
          ),
        ),
      ),
    );
  }
}
