// Facility home: rounds, what is in progress, the current plan, and the sync state.
import * as db from "../db.js";
import { fmtDate, t, tn } from "../i18n.js";
import {
  actionItemsOf,
  answeredCount,
  isOverdue,
  record,
  responsesOf,
  rounds,
  totalCheckpoints,
  walkedBy,
} from "../records.js";
import { status } from "../sync.js";
import { syncCard } from "./outbox.js";
import { empty, h, KINDS, label, link, progress, ROUND_STATUS, STATUSES, tu, user } from "./ui.js";

export default async function home(root, _params, view) {
  const sc = (await view.scope()) || {};
  const fac = sc.facility || {};
  // A workshop participant joins the trainer's rounds and never starts one.
  const workshop = sc.kind === "workshop";
  view.title(fac.name ? user(fac.name) : "HealthWISE");
  view.live();
  const [st, all, m] = await Promise.all([status(), rounds(), db.metas(["last_walk", "workshop_group"])]);
  // A workshop participant in a group walks its group's round; other groups' rounds are
  // left out (a round this phone already joined stays, so nothing it answered is hidden).
  const wg = (workshop && m.workshop_group) || {};
  const mine = wg.group || null;
  const groupOf = new Map((wg.rounds || []).map((r) => [r.id, r.group]));
  const list = [];
  for (const a of all) {
    const others = mine && groupOf.has(a.id) && a.id !== mine.round;
    if (!others || (await responsesOf(a.id)).some((r) => r.created)) list.push(a);
  }
  let cl = null;
  try {
    cl = await view.checklist();
  } catch (_) {
    /* shown below */
  }

  if (st.revoked) {
    root.append(
      h(
        "div",
        { class: "card alert", role: "alert" },
        h("h2", {}, st.workshopClosed ? t("This workshop has ended") : t("This phone was signed out")),
        h(
          "p",
          {},
          st.workshopClosed
            ? t("The trainer closed the workshop, or its last day has passed. What this phone recorded stays on it.")
            : t("The facility or the district removed this phone. Nothing on it was deleted."),
        ),
        st.outbox.length
          ? h(
              "p",
              {},
              tn(
                "One change was not sent. Save it as a file or join again to send it.",
                "%(n)s changes were not sent. Save them as a file or join again to send them.",
                st.outbox.length,
                { n: st.outbox.length },
              ),
            )
          : null,
        h("div", { class: "row" }, link("#/join", t("Join again"), "btn primary"), link("#/settings", t("Settings"))),
      ),
    );
  }

  root.append(
    h(
      "p",
      { class: "meta" },
      fac.district
        ? tu("%(facility)s, %(district)s", { facility: fac.name, district: fac.district.name })
        : user(fac.name),
    ),
  );

  // Resume exactly where this phone left off in the walk-through, until it is finished.
  const last = m.last_walk || "";
  const resume = last.match(/^\/walk\/([^/]+)\/([^/?]+)/);
  if (resume) {
    const resp = await record("response", resume[1]);
    if (resp && !resp.fields.completed) {
      const who = resp.fields.participant || t("Anonymous");
      root.append(
        h(
          "a",
          { class: "btn primary block big", href: `#${last}` },
          tu("Continue the walk-through (%(who)s, %(checkpoint)s)", { who, checkpoint: resume[2] }),
        ),
      );
    }
  }

  root.append(syncCard(st, view, { compact: true }));

  if (view.sw.state === "unavailable") {
    root.append(
      h(
        "div",
        { class: "card note" },
        h(
          "p",
          {},
          view.sw.supported
            ? t("Offline reload is not available yet: the app could not install itself on this phone.")
            : t(
                "Offline reload is not available on this connection (not a secure https address). Your answers are still kept on this phone and sent when the network is back; keep this page open while offline.",
              ),
        ),
      ),
    );
  }

  if (mine)
    root.append(
      h(
        "div",
        { class: "card note my-group" },
        h("h2", {}, tu("Your group: %(group)s", { group: mine.name })),
        mine.walks ? h("p", {}, tu("Your group walks: %(walks)s", { walks: mine.walks })) : null,
        mine.round && !list.some((a) => a.id === mine.round)
          ? h("p", {}, t("Your group's round arrives with the next sync."))
          : null,
      ),
    );

  root.append(h("h2", { class: "section" }, t("Assessment rounds")));
  if (!list.length && mine) {
    root.append(empty(t("The trainer has not started your group's round yet. It appears here after the next sync.")));
  } else if (!list.length && workshop) {
    root.append(empty(t("The trainer has not started a round yet. It appears here after the next sync.")));
  } else if (!list.length) {
    root.append(
      empty(
        t(
          "No assessment round yet. Start the first one: each committee member then answers the checklist on their own.",
        ),
        link("#/round/new", t("Start a round"), "btn primary"),
      ),
    );
  } else {
    const ul = h("ul", { class: "list" });
    for (const a of list) {
      const walked = walkedBy(cl, a);
      const total = walked ? totalCheckpoints(walked) : 0;
      const responses = await responsesOf(a.id);
      let answered = 0;
      if (walked) for (const r of responses) answered += await answeredCount(r.id, walked);
      const kind = label(KINDS(), a.fields.kind);
      const stat = label(ROUND_STATUS(), a.fields.status || "open");
      ul.append(
        h(
          "li",
          {},
          h(
            "a",
            { class: "item", href: `#/round/${a.id}` },
            h("span", { class: "name" }, a.fields.title ? user(a.fields.title) : kind),
            h("span", { class: "meta" }, [kind, fmtDate(a.fields.started_on), stat].filter(Boolean).join(" · ")),
            groupOf.has(a.id)
              ? h("span", { class: "meta" }, tu("Group: %(group)s", { group: groupOf.get(a.id) }))
              : null,
            h(
              "span",
              { class: "meta" },
              tn("one participant", "%(n)s participants", responses.length, { n: responses.length }),
            ),
            total && responses.length ? progress(answered, total * responses.length, t("Answers given")) : null,
          ),
          workshop && !responses.some((r) => r.created)
            ? link(`#/round/${a.id}/join`, t("Join this round"), "btn primary block")
            : null,
        ),
      );
    }
    root.append(ul, workshop ? null : link("#/round/new", t("Start a round"), "btn block"));

    // The current plan: the latest round that has action items.
    for (const a of list) {
      const items = await actionItemsOf(a.id);
      if (!items.length) continue;
      const done = items.filter((i) => i.fields.status === "done").length;
      const inProgress = items.filter((i) => i.fields.status === "in_progress").length;
      const overdue = items.filter((i) => isOverdue(i.fields)).length;
      root.append(
        h("h2", { class: "section" }, t("Current action plan")),
        h(
          "a",
          { class: "item", href: `#/plan/${a.id}` },
          h("span", { class: "name" }, user(a.fields.title)),
          h(
            "span",
            { class: "meta" },
            [
              tn("one action", "%(n)s actions", items.length, { n: items.length }),
              `${label(STATUSES(), "in_progress")}: ${inProgress}`,
              `${label(STATUSES(), "done")}: ${done}`,
            ].join(" · "),
          ),
          overdue
            ? h(
                "span",
                { class: "row" },
                h("span", { class: "badge bad overdue" }, t("Overdue: %(n)s", { n: overdue })),
              )
            : null,
          progress(done, items.length, t("Actions done")),
        ),
      );
      break;
    }
  }
  if (!cl)
    root.append(
      h(
        "div",
        { class: "card note" },
        h("p", {}, t("The checklist is not on this phone yet. Connect to the network once to download it.")),
      ),
    );
}
