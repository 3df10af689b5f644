// Join a round as a participant: creates a `response` record and opens the checklist.
import * as db from "../db.js";
import { t } from "../i18n.js";
import { maxLengths } from "../limits.js";
import { create } from "../outbox.js";
import { record } from "../records.js";
import { field, h, onSubmit, ROLES, saveError, select, user } from "./ui.js";

export default async function participant(root, { aid }, view) {
  const [a, max] = await Promise.all([record("assessment", aid), maxLengths("response")]);
  view.title(t("Join this round"), `/round/${aid}`);
  const last = (await db.get("meta", "last_participant")) || { participant: "", role: "" };
  const name = h("input", {
    type: "text",
    name: "participant",
    maxlength: max.participant,
    autocomplete: "name",
    value: last.participant,
  });
  const role = select([["", t("Choose…")], ...ROLES()], last.role, { name: "role" });
  const err = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("p", { class: "meta" }, a ? user(a.fields.title) : ""),
    h("p", {}, t("You answer the checklist on your own. Your answers are then put side by side with the others'.")),
    field(t("Your name (optional)"), name, t("Leave it empty to answer anonymously.")),
    field(t("Your role"), role),
    err,
    h("button", { type: "submit", class: "btn primary block big" }, t("Start my checklist")),
  );
  onSubmit(form, async () => {
    const fields = { assessment_id: aid, participant: name.value.trim(), role: role.value, completed: false };
    try {
      const r = await create("response", fields);
      await db.set("meta", "last_participant", { participant: fields.participant, role: fields.role });
      view.go(`/walk/${r.id}`);
      return true;
    } catch (e) {
      err.textContent = saveError(e);
    }
  });
  root.append(form);
}
