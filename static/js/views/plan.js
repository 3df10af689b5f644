// Action plan: the server's suggested ranking (cached for offline), the agreed
// actions (action_item records, editable offline) and the PDF.
import { OfflineError, planPdf } from "../api.js";
import * as db from "../db.js";
import { fmtDate, current as lang, t, tn } from "../i18n.js";
import { create } from "../outbox.js";
import { describe } from "../priority.js";
import {
  actionItemsOf,
  carriedForward,
  groupData,
  isOverdue,
  localPlan,
  record,
  reviewOf,
  serverPlan,
} from "../records.js";
import { status, syncNow } from "../sync.js";
import { discussCount } from "./discuss.js";
import {
  COSTS,
  counted,
  download,
  empty,
  englishBadge,
  findCheckpoint,
  h,
  label,
  link,
  STATUSES,
  toast,
  tu,
  untranslated,
  user,
} from "./ui.js";

async function fetchPdf(aid) {
  download(await planPdf(aid, lang()), "action-plan.pdf");
}

/** Download the PDFs asked for while offline. */
export async function sendQueuedPdfs() {
  const queue = (await db.get("meta", "pdf_queue")) || [];
  for (const aid of [...queue]) {
    try {
      await fetchPdf(aid);
      toast(t("The action plan PDF you asked for offline is downloaded."));
      const rest = ((await db.get("meta", "pdf_queue")) || []).filter((x) => x !== aid);
      await db.set("meta", "pdf_queue", rest);
    } catch (_) {
      return;
    }
  }
}

/** The badge colour of an action's status. */
const BADGE = { done: "ok", in_progress: "brand", dropped: "" };

/** One action as a line of a list (the plan, the actions carried forward), opening it. */
export function actionLine(aid, it) {
  const f = it.fields;
  const st = f.status || "planned";
  return h(
    "li",
    {},
    h(
      "a",
      { class: "item", href: `#/plan/${aid}/item/${it.id}` },
      h("span", { class: "name" }, f.action ? user(f.action) : t("(no text)")),
      h(
        "span",
        { class: "row" },
        h("span", { class: `badge ${BADGE[st] ?? "warn"}` }, label(STATUSES(), st)),
        isOverdue(f) ? h("span", { class: "badge bad overdue" }, t("Overdue")) : null,
        f.checkpoint_id ? h("span", { class: "mono small" }, f.checkpoint_id) : null,
        (it.conflicts || []).length || (it.overwritten || []).length
          ? h("span", { class: "badge bad" }, t("To discuss"))
          : null,
      ),
      h(
        "span",
        { class: "meta" },
        f.responsible ? tu("Who: %(who)s", { who: f.responsible }) : t("Nobody responsible yet"),
        f.due_on ? " · " : null,
        f.due_on ? t("By %(date)s", { date: fmtDate(f.due_on) }) : null,
        f.cost ? ` · ${label(COSTS(), f.cost)}` : null,
      ),
    ),
  );
}

/** The district manager's review of the plan, read-only: who, when, and the comment. */
function reviewCard(rv) {
  const f = rv.fields;
  const by = { who: f.reviewer || "", date: fmtDate(f.reviewed_on) };
  return h(
    "section",
    { class: "card review", "aria-labelledby": "review-title" },
    h("h2", { class: "section", id: "review-title" }, t("District review")),
    h(
      "p",
      { class: "meta" },
      f.reviewed ? tu("Reviewed by %(who)s on %(date)s", by) : tu("Comment by %(who)s on %(date)s", by),
    ),
    // The comment's own direction (an English comment on an Arabic screen reads left to right).
    f.comment ? h("p", { class: "comment", dir: "auto" }, f.comment) : null,
  );
}

export default async function plan(root, { aid }, view) {
  view.title(t("Action plan"), `/round/${aid}`);
  view.live();
  const [a, cl, data] = await Promise.all([record("assessment", aid), view.checklist(), groupData(aid)]);
  // The server's ranking as kept (on a first visit, a few seconds' wait for it), else one
  // worked out here; a newer one from the server shows when it comes.
  const p = (await serverPlan(aid, { onFresh: () => view.rerender() })) || localPlan(cl, data);
  const [items, carried] = await Promise.all([actionItemsOf(aid), carriedForward(a)]);
  const toDiscuss = await discussCount(aid, cl);
  const review = await reviewOf(aid);
  const inPlan = new Set([...items, ...carried].map((i) => i.fields.checkpoint_id).filter(Boolean));

  // PDF
  const queue = (await db.get("meta", "pdf_queue")) || [];
  const pdfBtn = h("button", { type: "button", class: "btn" }, t("Download the plan as PDF"));
  pdfBtn.addEventListener("click", async () => {
    const enqueue = async () => {
      const q = (await db.get("meta", "pdf_queue")) || [];
      if (!q.includes(aid)) q.push(aid);
      await db.set("meta", "pdf_queue", q);
      toast(t("You are offline. The PDF will be downloaded when the phone is back online."));
      view.rerender();
    };
    if (!navigator.onLine) return enqueue();
    pdfBtn.disabled = true;
    pdfBtn.textContent = t("Preparing the PDF…");
    try {
      // The PDF is made from what the server has: send this phone's changes first.
      if ((await status()).pending) await syncNow().catch(() => {});
      await fetchPdf(aid);
      toast(t("The PDF is downloaded."));
    } catch (e) {
      if (e instanceof OfflineError) await enqueue();
      else toast(t("The PDF could not be made: %(reason)s", { reason: e.message }));
    } finally {
      pdfBtn.disabled = false;
      pdfBtn.textContent = t("Download the plan as PDF");
    }
  });

  root.append(
    h("p", { class: "meta" }, a ? user(a.fields.title) : ""),
    toDiscuss ? link(`#/discuss/${aid}`, counted(t("To discuss"), toDiscuss), "btn block") : null,
    review ? reviewCard(review) : null,
  );

  // Agreed actions
  root.append(h("h2", { class: "section" }, t("Agreed actions")));
  if (!items.length && !carried.length)
    root.append(
      h(
        "p",
        { class: "muted" },
        t("No action in the plan yet. Add the suggestions the committee agrees on, or your own."),
      ),
    );
  root.append(
    h(
      "ul",
      { class: "list" },
      items.map((it) => actionLine(aid, it)),
    ),
  );
  if (carried.length)
    root.append(
      h("h3", { class: "section" }, t("Carried forward from the previous round")),
      h("p", { class: "meta" }, t("Open actions of the previous round. Update them here.")),
      h(
        "ul",
        { class: "list carried" },
        carried.map((it) => actionLine(aid, it)),
      ),
    );
  root.append(
    h(
      "div",
      { class: "actions" },
      link(`#/plan/${aid}/item/new`, t("Add your own action"), "btn block"),
      pdfBtn,
      queue.includes(aid) ? h("p", { class: "meta" }, t("PDF waiting for the network.")) : null,
    ),
  );

  // Suggestions
  root.append(h("h2", { class: "section" }, t("Suggested priorities")));
  if (p.local)
    root.append(
      h(
        "div",
        { class: "card note" },
        h("p", {}, t("Worked out on this phone from the answers it has. Connect to get the committee's full ranking.")),
      ),
    );
  else if (p.fetched)
    root.append(h("p", { class: "meta" }, t("Ranking from the server, %(when)s", { when: fmtDate(p.fetched, true) })));
  const sugg = (p.suggested || []).filter((s) => !inPlan.has(s.checkpoint_id));
  if (!sugg.length)
    root.append(
      empty(
        data.responses.length ? t("No more suggestions.") : t("Suggestions appear once participants have answered."),
      ),
    );
  let rank = items.reduce((m, i) => Math.max(m, i.fields.rank || 0), 0);
  const shown = sugg.slice(0, 10);
  const card = (s) => {
    const found = findCheckpoint(cl, s.checkpoint_id);
    const c = found ? found.checkpoint : { action: s.checkpoint_id, cost: s.cost };
    const add = h("button", { type: "button", class: "btn small primary" }, t("Add to the plan"));
    add.addEventListener("click", async () => {
      add.disabled = true;
      rank += 1;
      await create("action_item", {
        assessment_id: aid,
        checkpoint_id: s.checkpoint_id,
        action: c.action,
        responsible: "",
        due_on: null,
        cost: c.cost || s.cost || "low",
        status: "planned",
        progress_note: "",
        rank,
      });
      toast(t("Added to the plan."));
    });
    return h(
      "div",
      { class: "card" },
      h(
        "p",
        { class: "cp-head" },
        h("span", {}, `#${s.rank} · `, h("span", { class: "mono" }, s.checkpoint_id)),
        englishBadge(cl, s.checkpoint_id),
      ),
      h("p", { ...untranslated(cl, s.checkpoint_id) }, c.action),
      // The reasons in this phone's language, from their codes (the server's plan too).
      h("p", { class: "meta" }, s.reason_codes ? describe(s.reason_codes, t, tn) : s.reasons || ""),
      add,
    );
  };
  root.append(shown.map(card));
  if (sugg.length > shown.length) {
    root.append(
      h(
        "details",
        { class: "more" },
        h(
          "summary",
          {},
          tn("One more suggestion", "%(n)s more suggestions", sugg.length - shown.length, {
            n: sugg.length - shown.length,
          }),
        ),
        h("div", {}, sugg.slice(shown.length).map(card)),
      ),
    );
  }

  // Achievements and module figures
  if ((p.achievements || []).length) {
    root.append(
      h("h2", { class: "section" }, t("Already in place")),
      h(
        "details",
        { class: "more" },
        h(
          "summary",
          {},
          tn("One good practice to build on", "%(n)s good practices to build on", p.achievements.length, {
            n: p.achievements.length,
          }),
        ),
        h(
          "div",
          {},
          h(
            "ul",
            {},
            p.achievements.map((x) => {
              const f = findCheckpoint(cl, x.checkpoint_id);
              return h("li", untranslated(cl, x.checkpoint_id), f ? f.checkpoint.action : x.checkpoint_id);
            }),
          ),
        ),
      ),
    );
  }
  // The checklist on the phone names the module in the current language.
  const moduleTitle = (m) => {
    const mod = cl.modules.find((x) => x.id === m.id);
    return mod ? mod.title : m.title;
  };
  if ((p.modules || []).length) {
    root.append(
      h("h2", { class: "section" }, t("By module")),
      h(
        "div",
        { class: "card bars" },
        p.modules.map((m) =>
          h(
            "div",
            {},
            h(
              "p",
              { class: "small" },
              h("strong", {}, moduleTitle(m)),
              " ",
              // Nobody answered: "not answered", never 0 % (which reads as progress).
              m.share === null || m.share === undefined
                ? t("Not answered")
                : t("%(share)s%% need action", { share: Math.round(100 * m.share) }),
              m.previous_share !== null && m.previous_share !== undefined
                ? [" · ", t("before: %(share)s%%", { share: Math.round(100 * m.previous_share) })]
                : "",
            ),
          ),
        ),
      ),
    );
  }
}
