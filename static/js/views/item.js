// One action of the plan: what, who, by when, cost, status. Edits work offline;
// each field is saved on the phone as soon as it changes.
import { deviceId } from "../enrol.js";
import { t } from "../i18n.js";
import { maxLengths } from "../limits.js";
import { create, edit } from "../outbox.js";
import { actionItemsOf, isOverdue, record } from "../records.js";
import { showValue } from "./outbox.js";
import { picker } from "./photo.js";
import { COSTS, field, findCheckpoint, h, link, onSubmit, STATUSES, saveError, select, toast, tu } from "./ui.js";

export default async function item(root, { aid, iid }, view) {
  const isNew = iid === "new";
  const rec = isNew ? null : await record("action_item", iid);
  view.title(isNew ? t("Add your own action") : t("Action"), `/plan/${aid}`);
  if (!isNew && !rec) {
    root.append(h("p", {}, t("This action is not on this phone.")), link(`#/plan/${aid}`, t("Back")));
    return;
  }
  const f = rec
    ? rec.fields
    : { action: "", responsible: "", due_on: null, cost: "low", status: "planned", progress_note: "" };
  let cl = null;
  try {
    cl = await view.checklist();
  } catch (_) {
    /* the text is in the record */
  }
  const [max, mine] = await Promise.all([maxLengths("action_item"), deviceId()]);

  const inputs = {
    action: h("textarea", { name: "action", rows: "3", maxlength: max.action, required: true }),
    responsible: h("input", { type: "text", name: "responsible", maxlength: max.responsible, autocomplete: "off" }),
    due_on: h("input", { type: "date", name: "due_on" }),
    cost: select(COSTS(), f.cost || "low", { name: "cost" }),
    status: select(STATUSES(), f.status || "planned", { name: "status" }),
    progress_note: h("textarea", { name: "progress_note", rows: "3", maxlength: max.progress_note }),
  };
  inputs.action.value = f.action || "";
  inputs.responsible.value = f.responsible || "";
  inputs.due_on.value = f.due_on || "";
  inputs.progress_note.value = f.progress_note || "";
  const saved = h("p", { class: "saved", role: "status" });
  const valueFor = (k) => (k === "due_on" ? inputs[k].value || null : inputs[k].value);

  // Values other phones wrote (open conflicts), and values of this phone that a newer
  // change replaced (kept by the phone, or open on the server under this phone's id):
  // every field is shown, each is settled on the "To discuss" screen.
  const replaced = (rec?.overwritten || []).map((c) => ({ ...c, overwritten: true }));
  const open = (rec?.conflicts || []).map((c) => (c.device_id === mine ? { ...c, overwritten: true } : c));
  const conflicts = [...open, ...replaced];
  const found = cl && f.checkpoint_id ? findCheckpoint(cl, f.checkpoint_id) : null;
  root.append(
    conflicts.length
      ? h(
          "div",
          { class: "card note" },
          h("p", {}, t("Two phones changed this action differently.")),
          link(`#/discuss/${f.assessment_id || aid}`, t("See what to discuss"), "btn small"),
        )
      : null,
    rec && isOverdue(f) ? h("p", {}, h("span", { class: "badge bad overdue" }, t("Overdue"))) : null,
    rec && f.assessment_id && f.assessment_id !== aid
      ? h("p", { class: "meta" }, t("Carried forward from the previous round"))
      : null,
    found ? h("p", { class: "meta" }, `${f.checkpoint_id} · ${found.module.title}`) : null,
  );

  const form = h(
    "form",
    { class: "card", novalidate: true },
    field(t("What will be done"), inputs.action),
    field(t("Responsible"), inputs.responsible, t("A name or a post, for example the head nurse.")),
    field(t("Due date"), inputs.due_on),
    field(t("Cost"), inputs.cost),
    field(t("Status"), inputs.status),
    field(t("Progress"), inputs.progress_note, t("What has been done so far.")),
    saved,
  );
  root.append(form);
  for (const c of conflicts) {
    const input = inputs[c.field];
    if (input)
      input.closest(".field").append(
        h(
          "p",
          { class: "badge bad" },
          c.overwritten
            ? tu("This phone had: %(value)s (replaced by a newer change)", {
                value: showValue("action_item", c.field, c.value),
              })
            : tu("Other phone: %(value)s", { value: showValue("action_item", c.field, c.value) }),
        ),
      );
  }

  if (isNew) {
    const err = h("p", { class: "error", role: "alert" });
    form.append(err, h("button", { type: "submit", class: "btn primary block big" }, t("Add to the plan")));
    onSubmit(form, async () => {
      if (!inputs.action.value.trim()) {
        err.textContent = t("Say what will be done.");
        inputs.action.focus();
        return;
      }
      const ranks = (await actionItemsOf(aid)).map((r) => r.fields.rank || 0);
      try {
        await create("action_item", {
          assessment_id: aid,
          checkpoint_id: null,
          action: inputs.action.value.trim(),
          responsible: inputs.responsible.value.trim(),
          due_on: valueFor("due_on"),
          cost: inputs.cost.value,
          status: inputs.status.value,
          progress_note: inputs.progress_note.value,
          rank: Math.max(0, ...ranks) + 1,
        });
      } catch (e) {
        err.textContent = saveError(e);
        if (inputs[e.field]) inputs[e.field].focus(); // which text is too long
        return;
      }
      toast(t("Added to the plan."));
      view.go(`/plan/${aid}`);
      return true;
    });
    return;
  }

  // Existing action: every field is its own change, saved when it changes.
  const last = {};
  for (const k of Object.keys(inputs)) last[k] = valueFor(k);
  const save = async (k) => {
    const v = valueFor(k);
    if (v === last[k]) return;
    try {
      await edit("action_item", iid, { [k]: typeof v === "string" && k !== "progress_note" ? v.trim() : v });
      last[k] = v;
      saved.className = "saved";
      saved.textContent = t("Saved on this phone");
    } catch (e) {
      saved.className = "error";
      saved.textContent = t("Could not save: %(reason)s", { reason: saveError(e) });
    }
  };
  for (const k of Object.keys(inputs)) inputs[k].addEventListener("change", () => save(k));
  const flush = () => {
    for (const k of Object.keys(inputs)) save(k);
  };
  view.onleave(flush);
  window.addEventListener("pagehide", flush);
  view.onleave(() => window.removeEventListener("pagehide", flush));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    flush();
  });
  // Evidence of the action (before, after): kept on the phone, uploaded after it syncs.
  let photos = f.photos || [];
  saved.before(
    picker({
      current: () => photos,
      save: async (list) => {
        try {
          await edit("action_item", iid, { photos: list });
          photos = list;
          saved.className = "saved";
          saved.textContent = t("Saved on this phone");
        } catch (e) {
          saved.className = "error";
          saved.textContent = t("Could not save: %(reason)s", { reason: saveError(e) });
        }
      },
      sensitive: !!found?.checkpoint.sensitive,
    }),
  );
  root.append(h("div", { class: "actions" }, link(`#/plan/${aid}`, t("Save"), "btn primary block")));
  if (found)
    root.append(
      h(
        "details",
        { class: "more" },
        h("summary", {}, t("About this checkpoint")),
        h("div", {}, h("p", {}, found.checkpoint.why || "")),
      ),
    );
}
