"""Photo evidence on the phone: picked offline on a checkpoint, shrunk, kept with the
answer, uploaded after it syncs, shown in the group view; a photo named before it
arrives shows "Waiting for the photo", never a broken image."""

import hashlib
import io
import os
import random
import tempfile
from pathlib import Path

from PIL import Image

from healthwise.assessments.models import Answer
from tests.conftest import Phone, new_id

#: Where the 360 px screenshots go: a temporary folder, so a test run never changes the
#: checkout; HEALTHWISE_SHOTS=docs/notes/photos renews those listed in NOTES-photos.md.
SHOTS = Path(os.environ.get("HEALTHWISE_SHOTS",
                            Path(tempfile.gettempdir()) / "healthwise-shots"))

# The photos the phone keeps, as sizes and dimensions (Blobs do not cross evaluate()).
KEPT = """async () => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("healthwise");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  try {
    const all = await new Promise((ok, ko) => {
      const q = db.transaction("photos").objectStore("photos").getAll();
      q.onsuccess = () => ok(q.result);
      q.onerror = () => ko(q.error);
    });
    const out = [];
    for (const p of all) {
      const bitmap = await createImageBitmap(p.blob);
      out.push({ name: p.name, state: p.state, size: p.blob.size, type: p.blob.type,
                 width: bitmap.width, height: bitmap.height });
    }
    return out;
  } finally { db.close(); }
}"""

# Every image on the page has been drawn (none broken), and how many there are.
IMAGES = """() => [...document.querySelectorAll("img")].map((i) => [i.complete, i.naturalWidth])"""


def camera_photo(path: Path) -> bytes:
    """A phone camera's photo: 4000 x 3000, noisy, so that it is several megabytes."""
    rng = random.Random(7)
    small = Image.new("RGB", (400, 300))
    small.putdata([(rng.randrange(256), rng.randrange(120), rng.randrange(60))
                   for _ in range(400 * 300)])
    big = small.resize((4000, 3000), Image.NEAREST)
    out = io.BytesIO()
    big.save(out, "JPEG", quality=95)
    path.write_bytes(out.getvalue())
    return out.getvalue()


def test_a_photo_picked_offline_is_shrunk_synced_uploaded_and_shown(
        app, phones, enrolment, server_rows, tmp_path, make_token):
    original = camera_photo(tmp_path / "camera.jpg")
    assert len(original) > 2_000_000
    phone = phones()
    phone.join("Ana's phone")
    phone.wait_sw()
    phone.wait_checklist()
    phone.set_offline(True)
    aid = phone.start_round("Baseline, ward 2")
    rid = phone.join_round("Ana", "clinical")
    phone.page.get_by_role("link", name="Start").click()
    page = phone.page
    cp = page.locator(".cp-head .mono").inner_text()
    page.locator(".choice:has(input[value=yes])").click()
    page.locator("input[type=file]").set_input_files(str(tmp_path / "camera.jpg"))
    page.get_by_text("Photo saved on this phone").wait_for()
    page.locator(".photo-field .photo img").wait_for()
    (kept,) = page.evaluate(KEPT)
    assert kept["state"] == "pending" and kept["type"] == "image/jpeg"
    assert kept["size"] <= 200 * 1024
    assert max(kept["width"], kept["height"]) <= 1280
    # The shape is kept (this noise needs a smaller size than a real photo's 1280 px).
    assert kept["width"] * 3 == kept["height"] * 4 and kept["width"] >= 640
    (answer,) = [r for r in phone.records("answer") if r["fields"]["checkpoint_id"] == cp]
    assert answer["fields"]["photos"] == [kept["name"]]
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.get_by_role("button", name="Remove photo").is_visible()
    page.locator(".photo-field").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "checkpoint-photo-360.png"))

    # Offline, the sync screen says what waits: one photo, and its size.
    phone.goto("/sync")
    page.get_by_text("One photo waiting to upload").wait_for()
    assert server_rows(Answer) == []
    folder = Path(app.config["PHOTOS_DIR"])
    assert not folder.exists() or not any(folder.rglob("*"))

    phone.set_offline(False)
    phone.wait_synced()
    phone.wait_until(lambda: page.evaluate(KEPT)[0]["state"] == "sent", what="the upload")
    (stored,) = [p for p in folder.rglob("*") if p.is_file()]
    assert stored.name == kept["name"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == kept["name"]
    (row,) = server_rows(Answer, checkpoint_id=cp)
    assert row.photos == [kept["name"]] and row.response_id == rid

    # Another phone of the facility sees it in the group view, fetched from the server;
    # a photo a record names before it has arrived shows a placeholder.
    pending = "ab" * 32
    with app.app_context():
        from healthwise.extensions import db
        from healthwise.facilities.models import Facility

        facility = db.session.get(Facility, enrolment[0])
        db.session.expunge(facility)
    helper = Phone(app.test_client(), facility, make_token(facility))
    response_id = new_id()
    helper.sync([
        helper.change("response", response_id, {"assessment_id": aid, "participant": "Ben"}),
        helper.change("answer", new_id(), {"response_id": response_id, "checkpoint_id": cp,
                                           "action": "yes", "photos": [pending]}),
    ])
    other = phones()
    other.join("Ben's phone")
    other.wait_synced()
    other.goto(f"/group/{aid}")
    other.page.locator(".card .photos img").wait_for()
    other.page.locator(".card .photos .photo-wait", has_text="Waiting for the photo").wait_for()
    images = other.page.evaluate(IMAGES)
    assert images and all(done and width > 0 for done, width in images), images
    assert other.page.locator(".card .photos img").count() == 1
    other.page.locator("#toast").wait_for(state="hidden")
    other.page.locator(".card .photos").scroll_into_view_if_needed()
    other.page.screenshot(path=str(SHOTS / "group-photo-360.png"))

    # The server is restored from a backup that lacks the photo: the phone's cursor is
    # refused (bad_cursor), it sends its journal again, and its photos with it.
    stored.unlink()
    phone.idb_put("meta", "cursor", "999999.deadbeef")
    phone.sync_now()
    phone.wait_until(lambda: stored.exists(), what="the photo sent again")
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == kept["name"]
    phone.assert_no_errors()
    other.assert_no_errors()


def test_a_sensitive_checkpoint_warns_not_to_photograph_people(app, phones):
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    checklist = registry_for(str(CHECKLISTS_DIR)).get("healthwise")
    sensitive = next(i for i, c in checklist.checkpoints.items() if c.get("sensitive"))
    plain = next(i for i, c in checklist.checkpoints.items() if not c.get("sensitive"))
    phone = phones()
    phone.join()
    phone.wait_checklist()
    phone.start_round()
    rid = phone.join_round()
    warning = "do not photograph people"
    phone.goto(f"/walk/{rid}/{sensitive}")
    phone.page.locator(".photo-field").get_by_text(warning).wait_for()
    phone.goto(f"/walk/{rid}/{plain}")
    phone.page.locator(".photo-field").wait_for()
    assert phone.page.locator(".photo-field").get_by_text(warning).count() == 0
    phone.assert_no_errors()


# A phone of the version before photos: IndexedDB version 3, with its journal.
AS_VERSION_3 = """async () => {
  const done = (q) => new Promise((ok, ko) => { q.onsuccess = () => ok(q.result);
                                                q.onerror = () => ko(q.error); });
  const old = await done(indexedDB.open("healthwise"));
  const t0 = old.transaction(["records", "outbox", "meta", "checklists", "sent"]);
  const copy = {};
  for (const name of ["records", "outbox", "meta", "checklists", "sent"]) {
    const s = t0.objectStore(name);
    copy[name] = [await done(s.getAllKeys()), await done(s.getAll())];
  }
  old.close();
  await done(indexedDB.deleteDatabase("healthwise"));
  const open = indexedDB.open("healthwise", 3);
  open.onupgradeneeded = () => {
    const d = open.result;
    const records = d.createObjectStore("records", { keyPath: ["type", "id"] });
    records.createIndex("parent", "parent");
    records.createIndex("type", "type");
    d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true })
      .createIndex("record", ["type", "id"]);
    d.createObjectStore("meta");
    d.createObjectStore("checklists");
    d.createObjectStore("sent", { keyPath: "change_id" }).createIndex("acked", "acked");
  };
  const db = await done(open);
  const names = ["records", "outbox", "meta", "checklists", "sent"];
  const t = db.transaction(names, "readwrite");
  for (const name of names) {
    const [ks, vs] = copy[name];
    const s = t.objectStore(name);
    vs.forEach((v, i) => (s.keyPath === null ? s.put(v, ks[i]) : s.put(v)));
  }
  await new Promise((ok, ko) => { t.oncomplete = ok; t.onerror = () => ko(t.error); });
  db.close();
  return copy.sent[1].length;
}"""


def test_a_phone_of_version_3_keeps_everything_and_gets_the_photos_store(phones):
    phone = phones(service_workers="block")
    phone.join()
    phone.wait_checklist()
    phone.start_round("Before photos")
    phone.wait_synced()
    records = phone.idb("records")
    phone.page.goto(f"{phone.base}/manifest.webmanifest")
    journal = phone.page.evaluate(AS_VERSION_3)
    assert journal >= 1
    phone.goto("/")
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    version = phone.page.evaluate("""async () => {
      const d = await new Promise((ok) => { const r = indexedDB.open("healthwise");
                                            r.onsuccess = () => ok(r.result); });
      const out = [d.version, [...d.objectStoreNames]]; d.close(); return out; }""")
    assert version[0] == 4 and "photos" in version[1]
    assert phone.idb("sent", "count") == journal
    assert sorted(map(str, phone.idb("records"))) == sorted(map(str, records))
    phone.page.get_by_text("Before photos").first.wait_for()
    phone.assert_no_errors()


def test_an_action_carries_photos_too(app, phones, enrolment, server_rows, tmp_path,
                                      make_token):
    from healthwise.assessments.models import ActionItem

    camera_photo(tmp_path / "camera.jpg")
    phone = phones()
    phone.join()
    phone.wait_checklist()
    aid = phone.start_round("With a plan")
    phone.wait_synced()
    with app.app_context():
        from healthwise.extensions import db
        from healthwise.facilities.models import Facility

        facility = db.session.get(Facility, enrolment[0])
        db.session.expunge(facility)
    helper = Phone(app.test_client(), facility, make_token(facility))
    item = new_id()
    helper.sync([helper.change("action_item", item, {"assessment_id": aid,
                                                     "action": "Mend the ramp"})])
    phone.sync_now()
    phone.goto(f"/plan/{aid}/item/{item}")
    page = phone.page
    page.locator("input[type=file]").set_input_files(str(tmp_path / "camera.jpg"))
    page.get_by_text("Photo saved on this phone").wait_for()
    page.locator(".photo-field .photo img").wait_for()
    phone.wait_until(lambda: server_rows(ActionItem, id=item)[0].photos, what="the item")
    (row,) = server_rows(ActionItem, id=item)
    phone.wait_until(lambda: page.evaluate(KEPT)[0]["state"] == "sent", what="the upload")
    assert row.photos == [page.evaluate(KEPT)[0]["name"]]
    page.locator("#toast").wait_for(state="hidden")
    page.locator(".photo-field").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "action-photo-360.png"))
    # Removing it is an edit like any other.
    page.get_by_role("button", name="Remove photo").click()
    phone.wait_until(lambda: server_rows(ActionItem, id=item)[0].photos == [],
                     what="the removal")
    phone.assert_no_errors()
