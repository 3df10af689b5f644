// Join a round as a participant: creates a `response` record and opens the checklist.
import * as db from "../db.js";
import * as sync from "../sync.js";
import { t } from "../i18n.js";
import { h, field, select, ROLES } from "./ui.js";

export default async function participant(root, { aid }, view) {
  const a = await db.record(aid);
  view.title(t("Join this round"), `/round/${aid}`);
  const last = (await db.get("meta", "last_participant")) || { participant: "", role: "" };
  const name = h("input", { type: "text", name: "participant", maxlength: "100", autocomplete: "name", value: last.participant });
  const role = select([["", t("Choose…")], ...ROLES()], last.role, { name: "role" });
  root.append(h("form", {
    class: "card", novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const fields = { assessment_id: aid, participant: name.value.trim(), role: role.value, completed: false };
      await db.set("meta", "last_participant", { participant: fields.participant, role: fields.role });
      const r = await sync.create("response", fields);
      view.go(`/walk/${r.id}`);
    },
  },
  h("p", { class: "meta" }, a ? a.fields.title : ""),
  h("p", {}, t("You answer the checklist on your own. Your answers are then put side by side with the others'.")),
  field(t("Your name (optional)"), name, t("Leave it empty to answer anonymously.")),
  field(t("Your role"), role),
  h("button", { type: "submit", class: "btn primary block big" }, t("Start my checklist"))));
}
