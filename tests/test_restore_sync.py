"""After a restore to an older backup, a phone that synced past it loses nothing.

The phone here is a test double of the PWA's sync (static/js/sync.js and outbox.js):
it keeps a journal of its acknowledged changes; when the server refuses its cursor
(``bad_cursor``) it puts the journal back in its outbox (same change_ids, the
original order), sends it with the cursor null, and makes again on the server's
revision each change refused for a ``base_rev`` the server never had (the record comes
back with the refusal). The restore is made two ways: the rows of every table put
back as they were (SQLite and PostgreSQL), and ``healthwise backup``/``restore`` of the
database file (SQLite).
"""

from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text

from healthwise.assessments.models import Answer, Change
from healthwise.backup import service
from healthwise.extensions import db
from tests.conftest import EXTERNAL_URL, Phone, checklist_ids, new_id

KEEP = {"applied", "duplicate", "merged", "conflict"}


class JournalPhone(Phone):
    """A phone with an outbox, a journal, and what it knows of each record's revision."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox: list[dict] = []  # in the phone's order
        self.journal: dict[str, dict] = {}
        self.order: dict[str, int] = {}
        self.revs: dict[str, int] = {}
        self.values: dict[tuple[str, str], object] = {}
        self.stale: set[str] = set()
        self.bad_cursors = 0
        self.rebased = 0
        self.set_aside: list[dict] = []

    def edit(self, record_type, record_id, fields):
        change = self.change(record_type, record_id, fields, base_rev=self.revs.get(record_id))
        self.order[change["change_id"]] = len(self.order)
        self.outbox.append(change)
        for key, value in fields.items():
            self.values[(record_id, key)] = value
        return change

    def post(self, changes):
        body = {"device_id": self.device_id, "cursor": self.cursor, "changes": changes}
        response = self.client.post("/api/v1/sync", json=body,
                                    headers={"Authorization": f"Bearer {self.token}"})
        return response.status_code, response.get_json()

    def sync_all(self, batch=50):
        for _ in range(100):
            sending = self.outbox[:batch]
            status, body = self.post(sending)
            if status == 422 and body["error"]["code"] == "bad_cursor":
                self.bad_cursors += 1
                self.replay()
                continue
            assert status == 200, body
            self.apply(body, sending)
            if not self.outbox and not body["more"]:
                return body
        raise AssertionError("the sync never finished")

    def replay(self):
        queued = {c["change_id"] for c in self.outbox}
        self.outbox = sorted([*self.outbox, *(c for cid, c in self.journal.items()
                                              if cid not in queued)],
                             key=lambda c: self.order[c["change_id"]])
        self.stale = set(self.revs)
        self.cursor = None

    def apply(self, body, sent):
        by_id = {c["change_id"]: c for c in sent}
        rebase = []
        for result in body["results"]:
            change = by_id[result["change_id"]]
            if result["status"] in KEEP:
                self.outbox.remove(change)
                self.journal[change["change_id"]] = change
                rid = change["id"]
                if rid in self.stale or result["rev"] > self.revs.get(rid, -1):
                    self.revs[rid] = result["rev"]
                    self.stale.discard(rid)
            elif result["error"]["code"] == "bad_base_rev":
                rebase.append(change)
            else:
                self.outbox.remove(change)
                self.set_aside.append(result)
        for record in body["changes"]:
            rid = record["id"]
            if rid in self.stale or record["rev"] >= self.revs.get(rid, -1):
                self.revs[rid] = record["rev"]
                self.stale.discard(rid)
        for change in rebase:
            rid = change["id"]
            assert rid not in self.stale and self.revs[rid] < change["base_rev"], change
            change["base_rev"] = self.revs[rid]
            self.rebased += 1
        self.cursor = body["cursor"]


def snapshot(app) -> dict:
    """Every row of every table, as a backup holds them."""
    with app.app_context():
        return {t.name: [dict(r) for r in db.session.execute(select(t)).mappings()]
                for t in db.metadata.sorted_tables}


def put_back(app, rows: dict) -> None:
    """Make the database hold exactly ``rows`` again, as a restore does."""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                db.session.execute(insert(table), rows[table.name])
        db.session.commit()
        db.engine.dispose()


def restore_file(app, tmp_path: Path):
    """Back up the database file now; return a function that restores that backup."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
    path, _ = service.backup(url, tmp_path / "backup.zip", tmp_path / "photos")

    def restore():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        service.restore(path, url, tmp_path / "photos")
    return restore


def restorer(app, tmp_path, how):
    if how == "file":
        return restore_file(app, tmp_path)
    rows = snapshot(app)
    return lambda: put_back(app, rows)


HOWS = ["rows"] if EXTERNAL_URL else ["rows", "file"]


@pytest.mark.parametrize("how", HOWS)
def test_a_phone_that_synced_past_the_backup_sends_it_again_and_nothing_doubles(
        app, client, make_facility, make_token, tmp_path, how):
    facility = make_facility()
    ana = JournalPhone(client, facility, make_token(facility, "Ana's phone"))
    ben = JournalPhone(client, facility, make_token(facility, "Ben's phone"))
    aid, rid, changes = ana.round_changes(n_answers=3)
    for change in changes:
        ana.order[change["change_id"]] = len(ana.order)
        ana.values.update({(change["id"], k): v for k, v in change["fields"].items()})
    ana.outbox = list(changes)
    ana.sync_all()
    ben.sync_all()  # pulls the round
    answers = [c["id"] for c in changes[2:]]

    restore = restorer(app, tmp_path, how)  # the backup is taken here

    # After the backup: Ana edits an answer twice and adds one; Ben edits another
    # answer, which Ana pulls and edits again (her base_rev is past the backup's).
    ana.edit("answer", answers[0], {"action": "no"})
    ana.sync_all()
    ana.edit("answer", answers[0], {"remark": "Gloves run out every week"})
    added = new_id()
    ana.edit("answer", added, {"response_id": rid, "checkpoint_id": checklist_ids()[3],
                               "action": "yes"})
    ana.sync_all()
    ben.edit("answer", answers[1], {"priority": True})
    ben.sync_all()
    ana.sync_all()
    ana.edit("answer", answers[1], {"remark": "Needs a budget line"})
    ana.sync_all()
    assert ana.revs[answers[1]] == 3
    sent_after_backup = len(ana.journal) - len(changes)
    with app.app_context():
        at_restore = db.session.scalar(select(func.count()).select_from(Change))

    restore()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Change)) < at_restore

    # Ana made one more edit while the server was down; her next sync replays.
    ana.edit("answer", answers[2], {"action": "na"})
    body = ana.sync_all()
    assert ana.bad_cursors == 1 and ana.set_aside == []
    assert ana.rebased == 1  # her edit made on Ben's revision, which the backup lacks
    ben.sync_all()  # Ben's phone replays too
    assert ben.bad_cursors == 1 and ben.set_aside == []

    with app.app_context():
        stored = {a.id: a for a in db.session.scalars(select(Answer))}
        ids = [c for (c,) in db.session.execute(select(Change.change_id))]
        kept = {(r.record_id, r.change_id) for r in db.session.scalars(select(Change))}
    # Every answer once, every change once, all of Ana's values.
    assert set(stored) == {*answers, added}
    assert len(ids) == len(set(ids))
    assert {c for c in ana.journal} <= {c for _, c in kept}
    assert len(ana.journal) == len(changes) + sent_after_backup + 1
    for (record_id, key), value in ana.values.items():
        if record_id in stored and (record_id, key) != (answers[1], "priority"):
            assert getattr(stored[record_id], key) == value, (record_id, key)
    # Ben's value made after the backup landed too.
    assert stored[answers[1]].priority is True
    assert stored[answers[1]].remark == "Needs a budget line"
    assert stored[answers[0]].remark == "Gloves run out every week"
    assert body["cursor"] is not None


def test_a_replayed_change_the_server_already_has_is_a_duplicate(app, client, make_facility,
                                                                 make_token):
    """Nothing doubles: the journal sent again to a server that has all of it."""
    facility = make_facility()
    ana = JournalPhone(client, facility, make_token(facility))
    _, _, changes = ana.round_changes(n_answers=4)
    for change in changes:
        ana.order[change["change_id"]] = len(ana.order)
    ana.outbox = list(changes)
    ana.sync_all()
    ana.replay()
    status, body = ana.post(ana.outbox)
    assert status == 200
    assert {r["status"] for r in body["results"]} == {"duplicate"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Change)) == len(changes)
        assert db.session.execute(text("SELECT value FROM sync_clock")).scalar() == len(changes)
