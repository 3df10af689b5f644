// Group view: every participant's answers side by side, computed on the phone
// from the records it has pulled, so the committee can agree even offline.
import { t, tn } from "../i18n.js";
import { describe } from "../priority.js";
import { groupData, record, tally } from "../records.js";
import { syncNow } from "../sync.js";
import { discussCount } from "./discuss.js";
import { thumbs } from "./photo.js";
import { ACTION, counted, empty, englishBadge, h, link, roleName, untranslated, user } from "./ui.js";

/** While the group view is open: ask the server for new answers this often. */
const POLL_MS = 5000;

export const who = (r, i) => r.fields.participant || t("Participant %(n)s", { n: i + 1 });

export default async function group(root, { aid }, view) {
  const a = await record("assessment", aid);
  view.title(t("Group view"), `/round/${aid}`);
  view.live();
  // Answers arrive while the committee looks: sync quietly every few seconds while the
  // screen is visible and online; view.live() re-renders only when something came.
  const poll = setInterval(() => {
    if (document.visibilityState === "visible" && navigator.onLine) syncNow({ quiet: true }).catch(() => {});
  }, POLL_MS);
  view.onleave(() => clearInterval(poll));
  const [cl, data] = await Promise.all([view.checklist(), groupData(aid)]);
  if (!a || !data.responses.length) {
    root.append(empty(t("No answers yet. They appear here once participants have answered and synced.")));
    return;
  }
  const filter = view.query.get("show") || "all";
  const names = data.responses.map(who);
  const A = ACTION();

  const counts = { disagree: 0, priority: 0, action: 0 };
  for (const m of cl.modules) {
    for (const c of m.checkpoints) {
      const s = tally(c.id, data);
      if (s.disagree) counts.disagree++;
      if (s.priority) counts.priority++;
      if (s.yes) counts.action++;
    }
  }
  const toDiscuss = await discussCount(aid, cl);
  root.append(
    h("p", { class: "meta" }, user(a.fields.title)),
    toDiscuss ? link(`#/discuss/${aid}`, counted(t("To discuss"), toDiscuss), "btn block") : null,
    h(
      "details",
      { class: "more" },
      h("summary", {}, tn("One participant", "%(n)s participants", names.length, { n: names.length })),
      h(
        "div",
        {},
        h(
          "ul",
          {},
          data.responses.map((r, i) =>
            h("li", {}, user(names[i]), r.fields.role ? ` (${roleName(r.fields.role)})` : ""),
          ),
        ),
      ),
    ),
  );

  const disagree = t("Disagreements");
  const priorities = t("Priorities");
  const proposed = t("Action proposed");
  const filters = [
    ["all", t("All")],
    ["disagree", `${disagree} (${counts.disagree})`],
    ["priority", `${priorities} (${counts.priority})`],
    ["action", `${proposed} (${counts.action})`],
  ];
  root.append(
    h(
      "div",
      { class: "filters", role: "radiogroup", "aria-label": t("Show") },
      filters.map(([v, l]) =>
        h(
          "label",
          { class: "choice" },
          h("input", {
            type: "radio",
            name: "show",
            value: v,
            checked: v === filter,
            onchange: () => view.go(`/group/${aid}?show=${v}`),
          }),
          h("span", {}, l),
        ),
      ),
    ),
  );

  let shown = 0;
  for (const m of cl.modules) {
    const cards = [];
    for (const c of m.checkpoints) {
      const s = tally(c.id, data);
      if (filter === "disagree" && !s.disagree) continue;
      if (filter === "priority" && !s.priority) continue;
      if (filter === "action" && !s.yes) continue;
      if (filter === "all" && !s.answered) continue;
      const remarks = s.votes.filter((v) => v.remark);
      // Every participant's photos of this checkpoint, once each.
      const photos = [...new Set(data.responses.flatMap((r) => data.answers.get(r.id).get(c.id)?.fields.photos || []))];
      cards.push(
        h(
          "div",
          { class: `card${s.disagree ? " disagree" : ""}` },
          h("p", { class: "cp-head" }, h("span", { class: "mono" }, c.id), englishBadge(cl, c.id)),
          h("p", { ...untranslated(cl, c.id) }, c.action),
          h(
            "p",
            { class: "gp-sum" },
            h("span", {}, describe([{ code: "action_proposed", count: s.yes, total: s.answered }], t, tn)),
            s.priority
              ? h(
                  "span",
                  { class: "star" },
                  `★ ${describe([{ code: "priority", count: s.priority, total: s.answered }], t, tn)}`,
                )
              : null,
            s.disagree ? h("span", { class: "badge warn" }, t("Disagree")) : null,
          ),
          h(
            "ul",
            { class: "votes", "aria-label": t("Answers") },
            s.votes.map((v, i) =>
              h(
                "li",
                { class: `vote ${v.action || "none"}` },
                h("span", {}, user(names[i])),
                h("strong", {}, v.action ? A[v.action] : t("No answer")),
                v.priority ? h("span", { class: "star", title: t("Priority") }, "★") : null,
              ),
            ),
          ),
          thumbs(photos),
          remarks.length
            ? h(
                "details",
                { class: "more" },
                h("summary", {}, tn("One remark", "%(n)s remarks", remarks.length, { n: remarks.length })),
                h(
                  "div",
                  {},
                  h(
                    "ul",
                    {},
                    remarks.map((v) =>
                      h("li", {}, h("strong", {}, user(names[s.votes.indexOf(v)]), ": "), user(v.remark)),
                    ),
                  ),
                ),
              )
            : null,
        ),
      );
    }
    if (cards.length) {
      shown += cards.length;
      root.append(h("h2", { class: "section" }, `${m.number}. ${m.title}`), cards);
    }
  }
  if (!shown) root.append(empty(filter === "disagree" ? t("No disagreements.") : t("Nothing to show yet.")));
  root.append(h("div", { class: "actions" }, link(`#/plan/${aid}`, t("Go to the action plan"), "btn primary block")));
}
