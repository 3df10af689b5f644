"""A facility's whole history as one JSON file: out, in elsewhere, in again (issue 14)."""

import json

import pytest
from sqlalchemy import delete, select

from healthwise.archives import service
from healthwise.assessments.models import RECORD_MODELS, Assessment, Change, RoundTally, SyncClock
from healthwise.assessments.store import TYPE_ORDER
from healthwise.assessments.tallies import recount
from healthwise.cli import main
from healthwise.extensions import db
from healthwise.facilities.models import Facility
from tests.conftest import Phone, loaded, new_id


def _history(phone, make_token):
    """Give a facility a round, answers, an action item, an edit and a crossing edit."""
    assessment_id, response_id, changes = phone.round_changes(n_answers=5)
    item_id = new_id()
    changes.append(phone.change("action_item", item_id, {
        "assessment_id": assessment_id, "action": "Buy sharps boxes", "responsible": "Ana",
        "due_on": "2027-01-15", "cost": "low", "status": "planned"}))
    phone.sync(changes)
    phone.sync([phone.change("action_item", item_id, {"status": "in_progress"}, base_rev=1)])
    # Two edits made on the same revision: one wins, the other stays an open conflict.
    phone.sync([phone.change("assessment", assessment_id, {"status": "agreed"}, base_rev=1)])
    other = Phone(phone.client, phone.facility, make_token(phone.facility, "other phone"))
    other.sync([other.change("assessment", assessment_id, {"status": "closed"}, base_rev=1)])
    return assessment_id


def _records(facility_id):
    """Return a facility's records as the archive compares them (no facility, no clock)."""
    out = {}
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        rows = db.session.execute(select(table).where(table.c.facility_id == facility_id)
                                  .order_by(table.c.id)).mappings()
        out[record_type] = [{k: v for k, v in row.items() if k not in ("facility_id", "seq")}
                            for row in rows]
    return out


def _changes(record_ids):
    table = Change.__table__
    rows = db.session.execute(select(table).where(table.c.record_id.in_(record_ids))
                              .order_by(table.c.seq)).mappings()
    return [{k: v for k, v in row.items() if k not in ("seq", "token_id")} for row in rows]


def _leave(facility_id):
    """Take a facility's records and history away, as moving it off this server would."""
    rounds = select(Assessment.id).where(Assessment.facility_id == facility_id)
    db.session.execute(delete(RoundTally).where(RoundTally.assessment_id.in_(rounds)))
    for record_type in reversed(TYPE_ORDER):
        table = RECORD_MODELS[record_type].__table__
        db.session.execute(delete(table).where(table.c.facility_id == facility_id))
    db.session.execute(delete(Change.__table__))
    db.session.commit()


def _tallies(assessment_id):
    return [(t.assessment_id, t.answers, t.counts) for t in db.session.scalars(
        select(RoundTally).where(RoundTally.assessment_id == assessment_id))]


def _ids(records):
    return [r["id"] for rows in records.values() for r in rows]


def test_a_facility_moves_whole_and_a_second_import_changes_nothing(
        app, runner, tmp_path, phone, make_facility, make_token):
    assessment_id = _history(phone, make_token)
    out = tmp_path / "archive.json"
    result = runner.invoke(main, ["archive", "export", "--facility", str(phone.facility.id),
                                  str(out)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        before = _records(phone.facility.id)
        history = _changes(_ids(before))
        _leave(phone.facility.id)
    assert before["assessment"][0]["conflicts"], "the history has an open conflict to carry"

    result = runner.invoke(main, ["archive", "import", str(out), "--district", "South"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        moved = db.session.scalar(select(Facility).where(Facility.name == phone.facility.name,
                                                         Facility.id != phone.facility.id))
        assert moved.district.name == "South"
        assert _records(moved.id) == before
        assert _changes(_ids(before)) == history
        # The district overview's tallies count the imported answers as a recount does.
        kept = _tallies(assessment_id)
        recount([moved.id])
        assert kept == _tallies(assessment_id) and kept[0][1] == 5
        clock = db.session.get(SyncClock, 1).value

    again = runner.invoke(main, ["archive", "import", str(out), "--district", "South"])
    assert again.exit_code == 0, again.output
    assert "0 records created, 0 updated" in again.output and "0 changes" in again.output
    with app.app_context():
        assert db.session.get(SyncClock, 1).value == clock
        assert db.session.scalar(select(db.func.count()).select_from(Facility)
                                 .where(Facility.name == phone.facility.name)) == 2

    # The phones of the facility's new home pull what was imported.
    newcomer = Phone(phone.client, moved, make_token(moved))
    pulled = newcomer.sync()
    assert assessment_id in {c["id"] for c in pulled["changes"]}


def test_a_later_archive_brings_the_newer_revisions(app, phone, make_facility, make_token):
    assessment_id = _history(phone, make_token)
    with app.app_context():
        older = service.export_facility(db.session.get(Facility, phone.facility.id))
    phone.sync([phone.change("assessment", assessment_id, {"title": "Baseline, redone"},
                             base_rev=3)])
    with app.app_context():
        newer = service.export_facility(db.session.get(Facility, phone.facility.id))
    with loaded(app) as session:
        _leave(phone.facility.id)
        target = session.get(Facility, phone.facility.id)
        service.import_facility(older, target)
        done = service.import_facility(newer, target)
        session.commit()
        (row,) = [r for r in _records(target.id)["assessment"]]
        assert row["title"] == "Baseline, redone"
        assert done.updated == 1 and done.created == 0 and done.changes == 1


def _broken(archive, how):
    data = json.loads(json.dumps(archive))
    if how == "format":
        data["format"] = "something else"
    elif how == "version":
        data["version"] = 99
    elif how == "columns":
        data["records"]["answer"][0]["extra"] = 1
    elif how == "date":
        data["records"]["answer"][0]["created_at"] = "yesterday"
    elif how == "orphan":
        data["records"]["answer"][0]["response_id"] = new_id()
    elif how == "stray":
        data["history"][0]["record_id"] = new_id()
    elif how == "type":
        data["records"]["photo"] = []
    elif how == "rev not a number":
        data["records"]["assessment"][0]["rev"] = "7"
    elif how == "title too long":
        data["records"]["assessment"][0]["title"] = "x" * 500
    elif how == "not a uuid":
        data["records"]["action_item"][0]["id"] = "x"
    return data


@pytest.mark.parametrize("how", ["format", "version", "columns", "date", "orphan", "stray",
                                 "type", "not a uuid", "rev not a number",
                                 "title too long"])
def test_a_file_that_does_not_fit_imports_nothing(app, phone, make_facility, make_token, how):
    _history(phone, make_token)
    target = make_facility("Copy")
    with loaded(app) as session:
        archive = service.export_facility(session.get(Facility, phone.facility.id))
        _leave(phone.facility.id)
        clock = session.get(SyncClock, 1).value
        with pytest.raises(service.ArchiveError):
            service.import_facility(_broken(archive, how), session.get(Facility, target.id))
        session.rollback()
        assert _records(target.id) == {t: [] for t in TYPE_ORDER}
        assert session.get(SyncClock, 1).value == clock


def test_records_of_another_facility_are_never_taken_over(app, runner, tmp_path, phone,
                                                          make_facility, make_token):
    _history(phone, make_token)
    out = tmp_path / "archive.json"
    runner.invoke(main, ["archive", "export", "--facility", str(phone.facility.id), str(out)])
    target = make_facility("Copy")
    result = runner.invoke(main, ["archive", "import", str(out), "--facility", str(target.id)])
    assert result.exit_code != 0 and "belongs to another facility" in result.output
    with app.app_context():
        assert _records(target.id) == {t: [] for t in TYPE_ORDER}


def test_the_command_says_what_is_wrong(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(main, ["archive", "import", str(bad), "--facility", "1"])
    assert result.exit_code != 0 and "not JSON" in result.output
    result = runner.invoke(main, ["archive", "import", str(bad)])
    assert result.exit_code != 0 and "--facility ID or --district NAME" in result.output
    result = runner.invoke(main, ["archive", "export", "--facility", "99999999999",
                                  str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "no facility" in result.output
