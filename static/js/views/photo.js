// Photos on a screen: thumbnails (or "waiting for the photo" while one has not arrived),
// and the picker of a checkpoint's answer or an action.
import { t } from "../i18n.js";
import { keep, PER_RECORD, photoURL } from "../photos.js";
import { h } from "./ui.js";

const placeholder = () =>
  h("span", { class: "photo-wait", role: "img", "aria-label": t("Waiting for the photo") }, t("Waiting for the photo"));

/** One photo: its thumbnail once the phone has it, a placeholder until then. */
export function thumb(name, { remove } = {}) {
  const slot = h("span", { class: "slot" }, placeholder());
  const box = h("span", { class: "photo" }, slot);
  photoURL(name)
    .then((url) => {
      if (!url) return;
      const img = h("img", { src: url, alt: t("Photo"), loading: "lazy" });
      // A blob that cannot be drawn shows the placeholder, never a broken image.
      img.addEventListener("error", () => img.replaceWith(placeholder()));
      slot.replaceChildren(img);
    })
    .catch(() => {});
  if (remove)
    box.append(
      h("button", { type: "button", class: "btn small ghost", onclick: () => remove(name) }, t("Remove photo")),
    );
  return box;
}

/** A row of thumbnails, or nothing. */
export const thumbs = (names, opts) =>
  names?.length
    ? h(
        "div",
        { class: "photos" },
        names.map((n) => thumb(n, opts)),
      )
    : null;

/**
 * The photos of a record and the button to add one (the camera, or a picked file).
 * `current()` gives the record's photos; `save(photos)` stores the new list.
 * `sensitive`: warn not to photograph people.
 */
export function picker({ current, save, sensitive = false, id = "photo" }) {
  const box = h("div", { class: "field photo-field" });
  const status = h("p", { class: "meta", role: "status" });
  const draw = () => {
    const names = current() || [];
    const input = h("input", {
      type: "file",
      accept: "image/*",
      capture: "environment",
      id,
      class: "photo-input",
      disabled: names.length >= PER_RECORD,
    });
    input.addEventListener("change", async () => {
      const file = input.files?.[0];
      if (!file) return;
      status.textContent = t("Shrinking the photo…");
      try {
        const name = await keep(file);
        const now = current() || [];
        if (!now.includes(name)) await save([...now, name].slice(0, PER_RECORD));
        status.textContent = t("Photo saved on this phone");
      } catch (_) {
        status.textContent = t("This photo could not be read. Try another one.");
      }
      draw();
    });
    const remove = async (name) => {
      await save((current() || []).filter((n) => n !== name));
      draw();
    };
    box.replaceChildren(
      ...[
        h("span", { class: "label" }, t("Photos (optional)")),
        sensitive
          ? h(
              "p",
              { class: "badge warn block" },
              t("Sensitive topic: do not photograph people or anything that shows who they are."),
            )
          : null,
        thumbs(names, { remove }),
        names.length < PER_RECORD
          ? h("label", { class: "btn", for: id }, t("Add a photo"), input)
          : h("p", { class: "meta" }, t("At most %(n)s photos.", { n: PER_RECORD })),
        status,
      ].filter(Boolean),
    );
  };
  draw();
  return box;
}
