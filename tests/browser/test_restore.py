"""The server is restored from an older backup: the phone that synced past it sends again
what the server lost, and the server ends with every answer, once."""

import json
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

from healthwise.assessments.models import Answer, Change
from healthwise.backup import service
from healthwise.extensions import db
from tests.conftest import Phone


def test_after_a_restore_the_phone_sends_again_what_the_server_lost(
        app, phones, enrolment, make_token, server_rows, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    photos = Path(tmp_path / "photos")
    ana = phones()
    ana.join("Ana's phone")
    ana.wait_checklist()
    ana.start_round("Baseline")
    rid = ana.join_round("Ana")
    ana.page.get_by_role("link", name="Start").click()
    first = [ana.answer(action) for action in ("yes", "no", "na")]
    ana.wait_synced()
    assert len(server_rows(Answer, response_id=rid)) == 3

    backup, manifest = service.backup(url, tmp_path / "backup.zip", photos)

    # After the backup: another phone of the facility edits Ana's first answer, Ana
    # answers two more, pulls that edit and edits the same answer again.
    facility = SimpleNamespace(id=enrolment[0])
    ben = Phone(app.test_client(), facility, make_token(facility, "Ben's phone"))
    (answer1,) = [a for a in server_rows(Answer, response_id=rid) if a.checkpoint_id == first[0]]
    assert ben.sync([ben.change("answer", answer1.id, {"priority": True},
                                base_rev=answer1.rev)])["results"][0]["status"] == "applied"
    ana.goto(f"/walk/{rid}")
    ana.page.locator(".mod-num").first.wait_for()
    later = []
    for action in ("yes", "no"):
        ana.goto(f"/walk/{rid}/{_next_unanswered(ana, rid, first + later)}")
        later.append(ana.answer(action))
    ana.sync_now()
    ana.wait_synced()
    ana.goto(f"/walk/{rid}/{first[0]}")
    ana.answer("no", remark="Gloves run out every week")
    ana.wait_synced()
    rows = {a.checkpoint_id: a for a in server_rows(Answer, response_id=rid)}
    assert len(rows) == 5 and rows[first[0]].rev >= 3  # past the backup's revision 1
    journal = ana.idb("sent")
    assert len(journal) >= 8  # round, response, five answers, the edit: all acknowledged
    size = sum(len(json.dumps(entry)) for entry in journal) / len(journal)
    print(f"journal: {len(journal)} changes, {size:.0f} bytes of JSON each on average")

    # The server is stopped (the phone cannot reach it) and restored from the backup.
    ana.set_offline(True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    service.restore(backup, url, photos)
    assert len(server_rows(Answer, response_id=rid)) == 3

    ana.set_offline(False)
    ana.sync_now()
    ana.wait_synced()
    rows = {a.checkpoint_id: a for a in server_rows(Answer, response_id=rid)}
    assert sorted(rows) == sorted(first + later)  # every answer, once
    assert [rows[cp].action for cp in later] == ["yes", "no"]
    assert rows[first[0]].action == "no"
    assert rows[first[0]].remark == "Gloves run out every week"
    with app.app_context():
        ids = list(db.session.scalars(select(Change.change_id)))
        assert db.session.scalar(select(func.count()).select_from(Change)) > manifest.changes
    journal = {c["change_id"] for c in ana.idb("sent")}
    assert journal <= set(ids)
    # The phone's picture is the server's again: its revisions, nothing set aside.
    for record in ana.records("answer"):
        assert not record.get("stale")
        assert record["rev"] == rows[record["fields"]["checkpoint_id"]].rev
    ana.assert_no_errors()


def _next_unanswered(phone, rid, answered) -> str:
    """Return the id of the first checkpoint of the checklist not yet answered."""
    from tests.conftest import checklist_ids

    return next(cp for cp in checklist_ids() if cp not in answered)


# Fill the journal as a phone that synced for months would have it: `old` changes
# acknowledged 200 days ago (the oldest first) and `recent` ones a day ago.
FILL_JOURNAL = """async ([old, recent]) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("healthwise");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  const t = db.transaction("sent", "readwrite");
  const s = t.objectStore("sent");
  const day = 86400000, now = Date.now();
  for (let i = 0; i < old + recent; i++) {
    const acked = i < old ? now - 200 * day + i : now - day + i;
    s.put({ change_id: `j-${String(i).padStart(6, "0")}`, seq: -1, type: "answer", id: `a${i}`,
            base_rev: 1, fields: { remark: "x" }, status: "applied", rev: 2, acked });
  }
  await new Promise((ok, ko) => { t.oncomplete = ok; t.onerror = () => ko(t.error); });
  db.close();
}"""

JOURNAL_KEYS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open("healthwise");
                                        r.onsuccess = () => ok(r.result); });
  const q = db.transaction("sent").objectStore("sent").getAllKeys();
  const keys = await new Promise((ok) => { q.onsuccess = () => ok(q.result); });
  db.close();
  return keys;
}"""


def test_the_journal_keeps_the_last_ten_thousand_and_every_change_of_ninety_days(phones):
    ana = phones()
    ana.join()
    ana.wait_checklist()
    ana.page.evaluate(FILL_JOURNAL, [8, 9995])
    ana.start_round("Baseline")
    ana.wait_synced()
    keys = ana.page.evaluate(JOURNAL_KEYS)
    mine = [k for k in keys if not k.startswith("j-")]
    assert 1 <= len(mine) <= 5  # the round (and what came with it), acknowledged
    # Over 10,000: the oldest entries older than 90 days went, down to 10,000 exactly.
    assert len(keys) == 10000
    kept_old = sorted(k for k in keys if k.startswith("j-") and int(k[2:]) < 8)
    assert kept_old == [f"j-{i:06d}" for i in range(8 - (5 - len(mine)), 8)]
    assert all(f"j-{i:06d}" in set(keys) for i in range(8, 8 + 9995))

    # Entries of the last 90 days stay, however many there are.
    ana.page.evaluate(FILL_JOURNAL, [0, 10100])
    ana.goto("/")
    ana.start_round("Follow-up")
    ana.wait_synced()
    assert len(ana.page.evaluate(JOURNAL_KEYS)) >= 10100
    ana.assert_no_errors()
