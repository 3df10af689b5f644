// Join: exchange an enrolment code (typed or scanned from its QR) for a device token.
import { OfflineError } from "../api.js";
import * as db from "../db.js";
import { enrol } from "../enrol.js";
import { t } from "../i18n.js";
import { syncNow } from "../sync.js";
import { confirmLoss, exportData } from "./settings.js";
import { field, h, toast, tu } from "./ui.js";

/** Pull the code out of what a QR code holds: the bare code or a link with ?code=. */
export function codeFrom(text) {
  const s = String(text || "").trim();
  const m = s.match(/[?&#]code=([A-Za-z0-9-]+)/);
  return (m ? m[1] : s).toUpperCase().replace(/\s+/g, "");
}

/** Whether a scanned or opened join link is a workshop's (it asks for a name first). */
export function isWorkshopLink(text) {
  return /[?&#]workshop=1\b/.test(String(text || ""));
}

export default async function join(root, _params, view) {
  const m = await db.metas(["revoked", "token", "device_name"]);
  // A workshop's link: the participant's name is required, it names them to the trainer.
  const workshop = view.query.get("workshop") === "1";
  view.title(t("Join your facility"), m.token && !m.revoked ? "/" : null);
  const outbox = await db.all("outbox");

  const code = h("input", {
    type: "text",
    class: "code",
    name: "code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: false,
    required: true,
    maxlength: "40",
    inputmode: "text",
    value: codeFrom(view.query.get("code") || ""),
    "aria-invalid": "false",
  });
  const name = h("input", {
    type: "text",
    name: "device_name",
    maxlength: "100",
    value: m.device_name || "",
    autocomplete: "off",
    required: workshop,
    "aria-invalid": "false",
  });
  const err = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn primary block big" }, t("Join"));

  async function doJoin(e) {
    if (e) e.preventDefault();
    err.textContent = "";
    const value = codeFrom(code.value);
    if (!value) {
      err.textContent = t("Type the code you were given.");
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    if (workshop && !name.value.trim()) {
      err.textContent = t("Type your name: the trainer sees it, and it goes on your certificate.");
      name.setAttribute("aria-invalid", "true");
      name.focus();
      return;
    }
    name.setAttribute("aria-invalid", "false");
    submit.disabled = true;
    submit.textContent = t("Joining…");
    try {
      const sc = await enrol(value, name.value.trim() || t("Phone"), {
        confirmLoss: (n, to) =>
          confirmLoss(
            tu("Join %(facility)s and delete the changes not sent from this phone?", { facility: to.facility.name }),
            n,
            t("Delete them and join"),
          ),
      });
      if (!sc) {
        err.textContent = t("Nothing was deleted: the changes not sent stay on this phone.");
        return;
      }
      const fac = sc.facility ? sc.facility.name : "";
      toast(tu("This phone now works for %(facility)s.", { facility: fac }));
      syncNow().catch(() => {});
      if (navigator.storage?.persist) navigator.storage.persist().catch(() => {});
      view.go("/");
    } catch (ex) {
      code.setAttribute("aria-invalid", "true");
      if (ex instanceof OfflineError)
        err.textContent = t("No connection. Joining needs the network once; try again when you are online.");
      else if (ex.status === 429) err.textContent = t("Too many tries. Wait a minute and try again.");
      else if (ex.status === 404 || ex.status === 400 || ex.status === 422)
        err.textContent = t("This code is not valid. Check it and try again.");
      else if (ex.status === 410) err.textContent = t("This code has expired or was used up. Ask for a new one.");
      else err.textContent = ex.message;
    } finally {
      submit.disabled = false;
      submit.textContent = t("Join");
    }
  }

  const scanArea = h("div");
  let stream = null;
  const stop = () => {
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null;
    scanArea.replaceChildren();
  };
  view.onleave(stop);

  async function scan() {
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const video = h("video", { class: "scan", playsinline: true, muted: true, "aria-label": t("Camera") });
      video.srcObject = stream;
      scanArea.replaceChildren(
        video,
        h("button", { type: "button", class: "btn block", onclick: stop }, t("Stop the camera")),
      );
      await video.play();
      const tick = async () => {
        if (!stream) return;
        try {
          const found = await detector.detect(video);
          if (found.length) {
            const text = found[0].rawValue;
            stop();
            // A workshop's QR: ask the name on the join screen of the workshop.
            if (isWorkshopLink(text) && !workshop)
              view.go(`/join?code=${encodeURIComponent(codeFrom(text))}&workshop=1`);
            else {
              code.value = codeFrom(text);
              doJoin();
            }
            return;
          }
        } catch (_) {
          /* frame not ready */
        }
        setTimeout(tick, 250);
      };
      tick();
    } catch (_ex) {
      stop();
      err.textContent = t("The camera could not be used. Type the code instead.");
    }
  }

  const canScan = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  const closed = m.revoked === "workshop_closed";
  const revokedCard = m.revoked
    ? h(
        "div",
        { class: "card alert", role: "alert" },
        h("h2", {}, closed ? t("This workshop has ended") : t("This phone was signed out")),
        h(
          "p",
          {},
          closed
            ? t("The trainer closed the workshop, or its last day has passed. What this phone recorded stays on it.")
            : t("The facility or the district removed this phone. Nothing on it was deleted."),
        ),
        outbox.length
          ? [
              h(
                "p",
                {},
                t(
                  "Changes not yet sent stay on this phone. Save them as a file, or join the same facility again to send them.",
                ),
              ),
              h("button", { type: "button", class: "btn", onclick: exportData }, t("Save unsent changes as a file")),
            ]
          : null,
      )
    : null;

  root.append(
    revokedCard,
    h(
      "div",
      { class: "brand-hero" },
      h("img", { class: "logo", src: "/static/icons/icon-192.png", alt: "", width: "72", height: "72" }),
      h("h2", {}, t("Welcome to HealthWISE")),
      h(
        "p",
        { class: "muted" },
        t("Walk through your workplace, agree on improvements, and follow them up. Works without a network."),
      ),
    ),
    h(
      "form",
      { class: "card", onsubmit: doJoin, novalidate: true },
      field(t("Enrolment code"), code, t("The code from your facility or trainer, like K7P-4QX.")),
      workshop
        ? field(t("Your name"), name, t("As it should appear on your certificate. The trainer sees it."))
        : field(t("Name of this phone (optional)"), name, t("So the facility knows which phone sent what.")),
      err,
      submit,
      canScan ? h("button", { type: "button", class: "btn block", onclick: scan }, t("Scan the QR code")) : null,
      scanArea,
    ),
    h("p", { class: "row" }, h("a", { href: "#/settings", class: "btn ghost" }, t("Language and settings"))),
  );
  // A code from a link or a QR: the name comes first, so nobody joins as "Phone".
  if (view.query.get("code")) setTimeout(() => (name.value ? submit : name).focus(), 0);
}
