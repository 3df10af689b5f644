// Start a round: creates an `assessment` record (a follow-up points to the previous one).
import { fmtDate, t } from "../i18n.js";
import { maxLengths } from "../limits.js";
import { create } from "../outbox.js";
import { rounds } from "../records.js";
import { field, h, isolate, onSubmit, saveError, select } from "./ui.js";

const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

export default async function newRound(root, _params, view) {
  view.title(t("Start a round"), "/");
  const [cl, sc, list, max] = await Promise.all([view.checklist(), view.scope(), rounds(), maxLengths("assessment")]);
  if (sc?.kind === "workshop") {
    // The server refuses a participant's own round (trainer_starts_rounds).
    root.append(
      h("p", { class: "card note" }, t("In a workshop the trainer starts the rounds: join one on the home screen.")),
    );
    return;
  }
  const wanted = view.query.get("previous");
  const kindOf = (k) =>
    h(
      "label",
      { class: "choice" },
      h("input", {
        type: "radio",
        name: "kind",
        value: k,
        checked: (k === "follow_up") === (!!wanted || list.length > 0),
      }),
      h("span", {}, k === "baseline" ? t("First assessment") : t("Follow-up")),
    );
  const kinds = h("div", { class: "choices two" }, kindOf("baseline"), kindOf("follow_up"));
  const prevSel = select(
    list.map((a) => [a.id, `${isolate(a.fields.title)} (${fmtDate(a.fields.started_on)})`]),
    wanted || list[0]?.id,
    { name: "previous" },
  );
  const prevField = field(t("Previous round"), prevSel, t("The follow-up shows what changed since then."));
  const title = h("input", { type: "text", name: "title", maxlength: max.title, required: true });
  const date = h("input", { type: "date", name: "started_on", value: today(), required: true });
  const err = h("p", { class: "error", role: "alert" });
  const kind = () => kinds.querySelector("input:checked").value;
  const suggest = () => {
    const d = fmtDate(date.value);
    title.value =
      kind() === "follow_up" ? t("Follow-up, %(date)s", { date: d }) : t("First assessment, %(date)s", { date: d });
    prevField.hidden = kind() !== "follow_up" || !list.length;
  };
  let touched = false;
  title.addEventListener("input", () => {
    touched = true;
  });
  kinds.addEventListener("change", () => touched || suggest());
  date.addEventListener("change", () => touched || suggest());
  suggest();
  if (!list.length) kinds.querySelector("input[value=follow_up]").disabled = true;

  const form = h(
    "form",
    { class: "card", novalidate: true },
    h(
      "p",
      {},
      t(
        "A round is one walk-through of the checklist by the committee. Each member answers on their own; then you compare and agree on a plan.",
      ),
    ),
    h("fieldset", {}, h("legend", { class: "legend" }, t("Kind")), kinds),
    prevField,
    field(t("Title"), title),
    field(t("Start date"), date),
    err,
    h("button", { type: "submit", class: "btn primary block big" }, t("Start the round")),
  );
  onSubmit(form, async () => {
    if (!title.value.trim()) {
      err.textContent = t("Give the round a title.");
      title.focus();
      return;
    }
    const k = kind();
    try {
      const a = await create("assessment", {
        facility_id: sc.facility.id,
        checklist_id: cl.id,
        checklist_version: cl.version,
        title: title.value.trim(),
        kind: k,
        previous_id: k === "follow_up" ? prevSel.value || null : null,
        status: "open",
        started_on: date.value || today(),
      });
      view.go(`/round/${a.id}/join`);
      return true;
    } catch (e) {
      err.textContent = saveError(e);
    }
  });
  root.append(form);
}
