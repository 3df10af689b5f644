// One assessment round: its participants, and the way to the group view and the plan.
import { fmtDate, t, tn } from "../i18n.js";
import { edit } from "../outbox.js";
import { actionItemsOf, answeredCount, record, responsesOf, totalCheckpoints, walkedBy } from "../records.js";
import { discussCount } from "./discuss.js";
import {
  ask,
  counted,
  empty,
  h,
  KINDS,
  label,
  link,
  progress,
  ROUND_STATUS,
  roleName,
  select,
  toast,
  user,
} from "./ui.js";

export default async function round(root, { aid }, view) {
  const a = await record("assessment", aid);
  if (!a || a.fields.removed) {
    view.title(t("Round"), "/");
    root.append(empty(a ? t("This round was removed.") : t("This round is not on this phone.")), link("#/", t("Home")));
    return;
  }
  view.title(a.fields.title ? user(a.fields.title) : t("Round"), "/");
  view.live();
  let cl = null;
  try {
    cl = walkedBy(await view.checklist(), a);
  } catch (_) {
    /* progress needs it */
  }
  const total = cl ? totalCheckpoints(cl) : 0;
  const [responses, items] = await Promise.all([responsesOf(aid), actionItemsOf(aid)]);
  const prev = a.fields.previous_id ? await record("assessment", a.fields.previous_id) : null;
  const toDiscuss = await discussCount(aid, cl);

  const status = select(ROUND_STATUS(), a.fields.status || "open", { id: "round-status" });
  let was = status.value;
  status.addEventListener("change", async () => {
    if (
      status.value === "closed" &&
      !(await ask(t("Close this round?"), {
        ok: t("Close the round"),
        body: h(
          "p",
          {},
          t("Close it when its plan is done, or when it was started by mistake. It can be opened again."),
        ),
      }))
    ) {
      status.value = was;
      return;
    }
    was = status.value;
    await edit("assessment", aid, { status: status.value });
    toast(t("Saved on this phone"));
  });
  const remove = async () => {
    if (
      !(await ask(t("Remove this round?"), {
        ok: t("Remove"),
        danger: true,
        body: h(
          "p",
          {},
          t(
            "For a round started by mistake: it disappears from every phone of the facility and from the district's figures.",
          ),
        ),
      }))
    )
      return;
    await edit("assessment", aid, { removed: true });
    toast(t("The round was removed."));
    view.go("/");
  };
  root.append(
    h(
      "div",
      { class: "card" },
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, t("Kind")),
        h("dd", {}, label(KINDS(), a.fields.kind)),
        h("dt", {}, t("Start date")),
        h("dd", {}, fmtDate(a.fields.started_on)),
        prev
          ? [
              h("dt", {}, t("Previous round")),
              h(
                "dd",
                {},
                h(
                  "a",
                  { href: `#/round/${prev.id}` },
                  prev.fields.title ? user(prev.fields.title) : fmtDate(prev.fields.started_on),
                ),
              ),
            ]
          : null,
      ),
      h("div", { class: "field" }, h("label", { for: "round-status" }, t("Status")), status),
    ),
  );

  root.append(
    h(
      "h2",
      { class: "section" },
      tn("One participant", "%(n)s participants", responses.length, { n: responses.length }),
    ),
  );
  if (!responses.length) root.append(empty(t("Nobody has joined this round yet.")));
  const ul = h("ul", { class: "list" });
  for (const r of responses) {
    const n = cl ? await answeredCount(r.id, cl) : 0;
    const mine = !!r.created;
    const body = [
      h(
        "span",
        { class: "name" },
        r.fields.participant ? user(r.fields.participant) : t("Anonymous"),
        " ",
        r.fields.completed ? h("span", { class: "badge ok" }, t("Completed")) : null,
        mine ? null : h("span", { class: "badge" }, t("Other phone")),
      ),
      h("span", { class: "meta" }, roleName(r.fields.role)),
      total ? progress(n, total, t("Checkpoints answered")) : null,
    ];
    ul.append(
      h("li", {}, mine ? h("a", { class: "item", href: `#/walk/${r.id}` }, body) : h("div", { class: "item" }, body)),
    );
  }
  root.append(ul);
  // A phone whose participant is already here continues that checklist: joining
  // again would count the same person twice.
  const own = responses.filter((r) => r.created && !r.fields.completed).pop();
  root.append(
    h(
      "div",
      { class: "actions" },
      own ? link(`#/walk/${own.id}`, t("Continue my checklist"), "btn primary block big") : null,
      link(
        `#/round/${aid}/join`,
        own ? t("Someone else joins on this phone") : t("Join this round"),
        own ? "btn block" : "btn primary block big",
      ),
      link(`#/group/${aid}`, t("Group view: compare answers"), "btn block"),
      link(`#/discuss/${aid}`, toDiscuss ? counted(t("To discuss"), toDiscuss) : t("To discuss"), "btn block"),
      link(
        `#/plan/${aid}`,
        items.length
          ? tn("Action plan (one action)", "Action plan (%(n)s actions)", items.length, { n: items.length })
          : t("Action plan"),
        "btn block",
      ),
      link(`#/round/new?previous=${aid}`, t("Start a follow-up round"), "btn ghost block"),
      h("button", { type: "button", class: "btn ghost block", onclick: remove }, t("Remove this round")),
    ),
  );
}
