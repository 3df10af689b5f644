"""Records on the phone are keyed by type and id, and a phone that has the old store
(keyed by id alone) is migrated without losing anything (issue 9, case 7)."""

import json

from healthwise.assessments.models import Response


def test_one_id_two_types_stay_two_records(phones):
    """Even if the server sent a record of another type with the id of one of ours."""
    phone = phones(service_workers="block")
    phone.join()
    aid = phone.start_round("Baseline")
    phone.wait_synced()
    (before,) = phone.records("assessment")

    def add_twin(route):
        response = route.fetch()
        data = response.json()
        data["changes"].append({
            "type": "response", "id": aid, "rev": 7, "conflicts": [],
            "fields": {"assessment_id": "9b1f0c8e-0000-4000-8000-000000000001",
                       "participant": "Twin", "role": "", "completed": False},
        })
        route.fulfill(response=response, body=json.dumps(data))

    phone.context.route("**/api/v1/sync", add_twin)
    phone.sync_now()
    (after,) = phone.records("assessment")
    assert (after["fields"]["title"], after["rev"]) == ("Baseline", before["rev"])
    assert "participant" not in after["fields"]
    assert [(r["id"], r["fields"]["participant"], r["rev"]) for r in phone.records("response")] \
        == [(aid, "Twin", 7)]
    phone.page.get_by_role("link", name="Baseline").wait_for()
    phone.assert_no_errors()


# Rebuild IndexedDB as version 1 of the app had it (records keyed by id, an outbox
# index on id), holding the given rows.
AS_VERSION_1 = """async (data) => {
  const done = (q) => new Promise((ok, ko) => { q.onsuccess = () => ok(q.result);
                                                q.onerror = () => ko(q.error); });
  await done(indexedDB.deleteDatabase("healthwise"));
  const open = indexedDB.open("healthwise", 1);
  open.onupgradeneeded = () => {
    const d = open.result;
    const records = d.createObjectStore("records", { keyPath: "id" });
    records.createIndex("parent", "parent");
    records.createIndex("type", "type");
    d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }).createIndex("id", "id");
    d.createObjectStore("meta");
    d.createObjectStore("checklists");
  };
  const db = await done(open);
  const t = db.transaction(["records", "outbox", "meta", "checklists"], "readwrite");
  for (const r of data.records) t.objectStore("records").put(r);
  for (const c of data.outbox) t.objectStore("outbox").put(c);
  for (const [k, v] of data.meta) t.objectStore("meta").put(v, k);
  for (const [k, v] of data.checklists) t.objectStore("checklists").put(v, k);
  await new Promise((ok, ko) => { t.oncomplete = ok; t.onerror = () => ko(t.error); });
  db.close();
}"""

READ_ALL = """async () => {
  const done = (q) => new Promise((ok, ko) => { q.onsuccess = () => ok(q.result);
                                                q.onerror = () => ko(q.error); });
  const db = await done(indexedDB.open("healthwise"));
  const t = db.transaction(["records", "outbox", "meta", "checklists"]);
  const pairs = async (name) => {
    const s = t.objectStore(name);
    const [ks, vs] = [await done(s.getAllKeys()), await done(s.getAll())];
    return ks.map((k, i) => [k, vs[i]]);
  };
  const out = {
    version: db.version,
    stores: [...db.objectStoreNames],
    keyPath: t.objectStore("records").keyPath,
    indexes: [...t.objectStore("outbox").indexNames],
    records: await done(t.objectStore("records").getAll()),
    outbox: await done(t.objectStore("outbox").getAll()),
    meta: await pairs("meta"),
    checklists: await pairs("checklists"),
  };
  db.close();
  return out;
}"""


def test_upgrade_from_the_store_keyed_by_id_loses_nothing(phones, server_rows):
    phone = phones(service_workers="block")
    phone.join()
    phone.wait_checklist()
    aid = phone.start_round("Baseline")
    phone.wait_synced()
    # Nothing reaches the server until the upgrade is checked.
    phone.context.route("**/api/v1/sync", lambda route: route.abort())
    phone.goto(f"/round/{aid}/join")
    rid = phone.join_round("Ana")
    phone.page.get_by_role("link", name="Start").click()
    phone.answer("yes", remark="Kept through the upgrade")
    phone.wait_until(lambda: any(c["fields"].get("remark") for c in phone.idb("outbox")),
                     what="the remark saved")
    old = phone.page.evaluate(READ_ALL)
    assert len(old["records"]) == 3 and len(old["outbox"]) >= 2

    # Leave the app, put the same data in a version 1 store, and open the app again.
    phone.page.goto(f"{phone.base}/manifest.webmanifest")
    phone.page.evaluate(AS_VERSION_1, old)
    phone.goto(f"/walk/{rid}")
    phone.page.locator(".mod-num").first.wait_for()
    new = phone.page.evaluate(READ_ALL)
    assert new["version"] == 4
    assert "sent" in new["stores"]  # the journal of acknowledged changes (version 3)
    assert "photos" in new["stores"]  # the photos waiting to upload (version 4)
    assert new["keyPath"] == ["type", "id"]
    assert "record" in new["indexes"]

    def by_key(rows):
        return sorted(rows, key=lambda r: (r["type"], r["id"]))

    assert by_key(new["records"]) == by_key(old["records"])
    assert new["outbox"] == old["outbox"]
    assert dict(new["meta"])["token"] == dict(old["meta"])["token"]

    # What was made before the upgrade is shown and sent.
    phone.goto(f"/round/{aid}")
    phone.page.get_by_role("link", name="Continue my checklist").wait_for()  # the round's screen
    phone.page.locator(".list .item .name", has_text="Ana").wait_for()
    phone.context.unroute("**/api/v1/sync")
    phone.sync_now()
    phone.wait_synced()
    (row,) = server_rows(Response)
    assert (row.id, row.participant) == (rid, "Ana")
    phone.assert_no_errors()
