// Settings: language, storage, what is not yet sent, export and bring back, sign out.
import { checklist } from "../cache.js";
import * as db from "../db.js";
import { forget } from "../enrol.js";
import { current, languages, setLang, t, tn } from "../i18n.js";
import { bringBack as bringBackChanges } from "../outbox.js";
import { status } from "../sync.js";
import { ask, download, h, link, toast, user } from "./ui.js";

const mb = (bytes) => (bytes / 1048576).toLocaleString(current(), { maximumFractionDigits: 1 });

/*
 * The export file (docs/phone-export.md), read back by this phone ("Bring back") and
 * by a manager's upload in /manage:
 *   {"app": "healthwise", "format": "healthwise-phone-export", "version": 1, "exported": "<ISO time>",
 *    "facility_id": 12, "facility_name": "...", "device_id": "<uuid>",
 *    "changes": [{"change_id", "type", "id", "base_rev", "fields"}, ...],
 *    "outbox": [...], "records": [...], "meta": [[key, value], ...]}
 * `changes` is the whole outbox in the order it was made, exactly as POST /api/v1/sync
 * takes them; each keeps its change_id, so sending a file twice stores it once. The
 * rest is the phone's own data, for a person to look into. No token, no catalogue.
 */
export const FORMAT = "healthwise-phone-export";

export async function exportData() {
  const data = await db.dump();
  const meta = data.meta.filter(([k]) => k !== "token" && !String(k).startsWith("i18n:"));
  const scope = (meta.find(([k]) => k === "scope") || [])[1] || {};
  const outbox = data.outbox.map(([, c]) => c);
  const file = {
    // "app" and the outbox/meta pairs are what files of earlier versions had, and what
    // the /manage upload (healthwise/assessments/files.py) reads.
    app: "healthwise",
    format: FORMAT,
    version: 1,
    exported: new Date().toISOString(),
    facility_id: scope.facility ? scope.facility.id : null,
    facility_name: scope.facility ? scope.facility.name : null,
    device_id: (meta.find(([k]) => k === "device_id") || [])[1] || null,
    changes: outbox.map(({ change_id, type, id, base_rev, fields }) => ({ change_id, type, id, base_rev, fields })),
    outbox,
    records: data.records.map(([, r]) => r),
    meta,
  };
  download(
    new Blob([JSON.stringify(file, null, 1)], { type: "application/json" }),
    `healthwise-${new Date().toISOString().slice(0, 10)}.json`,
  );
}

/**
 * Ask before changes not yet sent are deleted from the phone, offering the export
 * first. Resolves true only when the user confirms.
 */
export function confirmLoss(question, n, ok) {
  return ask(question, {
    ok,
    danger: true,
    body: h(
      "div",
      {},
      h(
        "p",
        { class: "error" },
        tn(
          "One change is not sent yet and will be lost. Export your data first.",
          "%(n)s changes are not sent yet and will be lost. Export your data first.",
          n,
          { n },
        ),
      ),
      h("button", { type: "button", class: "btn block", onclick: exportData }, t("Save unsent changes as a file")),
    ),
  });
}

/** Read an export file (this version's, or an older phone's) and bring its changes back. */
async function bringBack(file, scope) {
  let data;
  try {
    data = JSON.parse(await file.text());
  } catch (_) {
    data = null;
  }
  if (!data || (data.format !== FORMAT && data.app !== "healthwise"))
    return toast(t("This is not a file saved by HealthWISE."));
  // Files saved before version 1 hold the outbox and the scope only.
  const oldScope = ((data.meta || []).find(([k]) => k === "scope") || [])[1];
  const facility = data.format === FORMAT ? data.facility_id : oldScope?.facility?.id;
  if (facility !== scope.facility.id)
    return toast(t("This file is from another facility. Give it to your district manager, who can bring it back."));
  const changes = data.changes || (data.outbox || []).map(([, c]) => c);
  const n = await bringBackChanges(changes);
  toast(
    n
      ? tn(
          "One change brought back. It will be sent with the next sync.",
          "%(n)s changes brought back. They will be sent with the next sync.",
          n,
          { n },
        )
      : t("Every change in this file is already on this phone or on the server."),
  );
}

export default async function settings(root, _params, view) {
  const m = await db.metas(["token", "scope", "device_name", "device_id"]);
  view.title(t("Settings"), m.token ? "/" : "/join");
  const st = m.token ? await status() : null;

  // Language
  const langs = h(
    "div",
    { class: "choices one langs", role: "radiogroup", "aria-label": t("Language") },
    languages().map((l) =>
      h(
        "label",
        { class: "choice" },
        h("input", {
          type: "radio",
          name: "lang",
          value: l.code,
          checked: l.code === current(),
          onchange: async () => {
            const ok = await setLang(l.code, () => view.rerender());
            if (!ok) toast(t("This language is not on the phone yet; connect once to download it."));
            // Keep the checklist in every language the user picked, for offline use.
            checklist(l.code).catch(() => {});
            view.rerender();
          },
        }),
        h("span", { lang: l.code, dir: l.dir }, l.name),
      ),
    ),
  );
  root.append(h("h2", { class: "section" }, t("Language")), langs);

  // Storage and offline
  const storage = h("div", { class: "card" });
  root.append(h("h2", { class: "section" }, t("This phone")), storage);
  const est = navigator.storage?.estimate ? await navigator.storage.estimate().catch(() => null) : null;
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted().catch(() => false) : false;
  storage.append(
    h(
      "dl",
      { class: "kv" },
      m.scope?.facility ? [h("dt", {}, t("Facility")), h("dd", {}, user(m.scope.facility.name))] : null,
      m.device_name ? [h("dt", {}, t("Phone name")), h("dd", {}, user(m.device_name))] : null,
      est
        ? [
            h("dt", {}, t("Storage used")),
            h("dd", {}, t("%(used)s MB of %(quota)s MB", { used: mb(est.usage || 0), quota: mb(est.quota || 0) })),
          ]
        : null,
      h("dt", {}, t("Data kept safe")),
      h(
        "dd",
        {},
        persisted ? t("Yes, the browser will not delete it") : t("No, the browser may delete it when space runs low"),
      ),
      h("dt", {}, t("Offline reload")),
      h(
        "dd",
        {},
        view.sw.state === "active"
          ? t("Available")
          : view.sw.state === "pending"
            ? t("Checking…")
            : t("Not available on this connection"),
      ),
    ),
  );
  if (!persisted && navigator.storage && navigator.storage.persist) {
    storage.append(
      h(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: async () => {
            const ok = await navigator.storage.persist().catch(() => false);
            toast(
              ok
                ? t("The browser will keep this app's data.")
                : t("The browser did not agree. Install the app on the home screen and try again."),
            );
            view.rerender();
          },
        },
        t("Keep data on this phone"),
      ),
    );
  }
  if (view.sw.state === "unavailable")
    storage.append(
      h(
        "p",
        { class: "meta" },
        t(
          "Without a secure (https) connection the app cannot reload offline. Your answers are still saved on the phone and sent when the network is back.",
        ),
      ),
    );

  if (st) {
    root.append(
      h("h2", { class: "section" }, st.outbox.length ? t("Not yet sent") : t("All changes sent")),
      h(
        "div",
        { class: "card" },
        h(
          "p",
          {},
          st.outbox.length
            ? tn("One change is not yet on the server.", "%(n)s changes are not yet on the server.", st.outbox.length, {
                n: st.outbox.length,
              })
            : t("Everything is on the server."),
        ),
        st.outbox.length ? link("#/sync", t("Details"), "btn small") : null,
      ),
    );
  }

  // Bring back: a file saved by "Export" (on this phone or another of this facility).
  const picker = h("input", { type: "file", accept: ".json,application/json", hidden: true });
  picker.addEventListener("change", async () => {
    if (picker.files[0]) await bringBack(picker.files[0], m.scope);
    picker.value = "";
    view.rerender();
  });
  root.append(
    h("h2", { class: "section" }, t("Your data")),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", class: "btn block", onclick: exportData },
        t("Export the data on this phone as a file"),
      ),
      m.token && m.scope?.facility
        ? [
            h(
              "button",
              { type: "button", class: "btn block", onclick: () => picker.click() },
              t("Bring back changes from a file"),
            ),
            picker,
          ]
        : null,
      m.token
        ? h(
            "button",
            {
              type: "button",
              class: "btn danger block",
              onclick: async () => {
                const unsent = await db.count("outbox");
                const question = t("Sign out and delete this facility's data from this phone?");
                const ok = unsent
                  ? await confirmLoss(question, unsent, t("Sign out"))
                  : await ask(question, {
                      ok: t("Sign out"),
                      danger: true,
                      body: h("p", {}, t("All changes are on the server.")),
                    });
                if (!ok) return;
                await forget();
                toast(t("Signed out. This facility's data was deleted from this phone."));
                view.go("/join");
              },
            },
            t("Sign out"),
          )
        : null,
    ),
    m.device_id ? h("p", { class: "meta small" }, t("Phone id: %(id)s", { id: m.device_id })) : null,
  );
}
