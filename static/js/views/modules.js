// Walk-through, first screen: the modules with their progress.
import { t, tn } from "../i18n.js";
import { edit } from "../outbox.js";
import { answersOf, isAnswered, nextCheckpoint, record, requiredIds, walkedBy } from "../records.js";
import { ask, h, link, progress, roleName, toast, user } from "./ui.js";

export default async function modules(root, { rid }, view) {
  const resp = await record("response", rid);
  if (!resp) {
    view.title(t("Walk-through"), "/");
    root.append(h("p", {}, t("This checklist is not on this phone.")), link("#/", t("Home")));
    return;
  }
  const aid = resp.fields.assessment_id;
  const cl = walkedBy(await view.checklist(), await record("assessment", aid));
  view.title(t("Your checklist"), `/round/${aid}`);
  const answers = await answersOf(rid);
  const required = [...requiredIds(cl)];
  const total = required.length;
  const done = required.filter((id) => isAnswered(answers, id)).length;
  const next = await nextCheckpoint(cl, rid, answers);

  root.append(
    h(
      "div",
      { class: "card" },
      h("h2", {}, resp.fields.participant ? user(resp.fields.participant) : t("Anonymous")),
      h("p", { class: "meta" }, roleName(resp.fields.role)),
      progress(done, total, t("Checkpoints answered")),
      resp.fields.completed ? h("p", {}, h("span", { class: "badge ok" }, t("Completed"))) : null,
      h(
        "div",
        { class: "actions" },
        link(`#/walk/${rid}/${next}`, done ? t("Continue") : t("Start"), "btn primary block big"),
      ),
    ),
  );

  root.append(h("h2", { class: "section" }, t("Modules")));
  const ul = h("ul", { class: "list" });
  for (const m of cl.modules) {
    const n = m.checkpoints.filter((c) => isAnswered(answers, c.id)).length;
    const first = m.checkpoints.find((c) => !isAnswered(answers, c.id)) || m.checkpoints[0];
    const full = n === m.checkpoints.length;
    ul.append(
      h(
        "li",
        {},
        h(
          "a",
          { class: `item${full ? " done" : ""}`, href: `#/walk/${rid}/${first.id}` },
          h(
            "span",
            { class: "name" },
            h("span", { class: "mod-num", "aria-hidden": "true" }, full ? "✓" : String(m.number)),
            m.title,
          ),
          m.optional ? h("span", { class: "badge" }, t("Optional")) : null,
          progress(n, m.checkpoints.length, m.title),
        ),
      ),
    );
  }
  root.append(ul);

  if (!resp.fields.completed) {
    root.append(
      h(
        "button",
        {
          type: "button",
          class: "btn block",
          onclick: async () => {
            const left = total - done;
            if (
              left > 0 &&
              !(await ask(
                tn(
                  "One checkpoint has no answer. Finish anyway?",
                  "%(n)s checkpoints have no answer. Finish anyway?",
                  left,
                  { n: left },
                ),
                { ok: t("Finish") },
              ))
            )
              return;
            await edit("response", rid, { completed: true });
            toast(t("Thank you. Your answers are saved and will be shared with the committee."));
            view.go(`/round/${aid}`);
          },
        },
        t("I have finished"),
      ),
    );
  }
  root.append(h("div", { class: "actions" }, link(`#/group/${aid}`, t("Compare with the group"), "btn ghost block")));
}
