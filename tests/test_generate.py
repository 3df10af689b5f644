"""Synthetic data at district scale (``healthwise demo generate``), at small sizes.

The generated records must be what the sync would have stored: phones of a generated
facility pull them and edit them, the plan API and the district pages read them.
"""

import hashlib
import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from healthwise.assessments import merge
from healthwise.assessments.models import (
    RECORD_MODELS,
    ActionItem,
    Answer,
    Assessment,
    Response,
    SyncClock,
)
from healthwise.assessments.schemas import ASSESSMENT_STATUSES, ITEM_STATUSES
from healthwise.checklists.registry import registry
from healthwise.demo.generate import (
    MARK,
    NOTES,
    REMARKS,
    RESPONSIBLE,
    STALLED_AFTER,
    GenerateError,
    answer_clock,
    district_sizes,
    generate,
)
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility
from healthwise.plans import actions
from tests.conftest import Phone, _empty_tables, count, loaded, sign_in

TODAY = date(2026, 12, 2)
SIZES, ROUNDS, PARTICIPANTS = [4, 2], 2, 6


def _generate(app, seed=7, sizes=SIZES, rounds=ROUNDS, participants=PARTICIPANTS, **kwargs):
    with app.app_context():
        return generate(list(sizes), rounds, participants, registry(), seed=seed, today=TODAY,
                        **kwargs)


@pytest.fixture
def made(app):
    return _generate(app)


def _rows(app, model, *where) -> list[dict]:
    with app.app_context():
        return [dict(r) for r in db.session.execute(
            select(model.__table__).where(*where)).mappings()]


def test_counts_match_the_arguments(app, made):
    with app.app_context():
        districts = db.session.scalars(select(District).order_by(District.id)).all()
        assert [d.id for d in districts] == made.districts
        assert all(d.name.endswith(MARK) for d in districts)
        assert [len(d.facilities) for d in districts] == SIZES
        checklist = next(iter(registry()))
    assert made.facilities == count(app, Facility) == sum(SIZES)
    for model, counted in ((Assessment, made.assessments), (Response, made.responses),
                           (Answer, made.answers), (ActionItem, made.action_items)):
        assert count(app, model) == counted > 0, model
    rounds = _rows(app, Assessment)
    by_facility: dict[int, list[dict]] = {}
    for row in rounds:
        by_facility.setdefault(row["facility_id"], []).append(row)
    for chain in by_facility.values():
        chain.sort(key=lambda r: r["started_on"])
        assert len(chain) == ROUNDS
        assert [r["kind"] for r in chain] == ["baseline"] + ["follow_up"] * (ROUNDS - 1)
        assert [r["previous_id"] for r in chain] == [None] + [r["id"] for r in chain[:-1]]
    responses = _rows(app, Response)
    per_round = {r["id"]: 0 for r in rounds}
    for response in responses:
        per_round[response["assessment_id"]] += 1
        assert re.fullmatch(r"Participant [1-9][0-9]*", response["participant"])
    assert set(per_round.values()) <= {0, PARTICIPANTS}
    answers = _rows(app, Answer)
    answered = {a["checkpoint_id"] for a in answers}
    sensitive = {c for c, cp in checklist.checkpoints.items() if cp.get("sensitive")}
    assert answered <= set(checklist.checkpoints) and answered & sensitive
    assert {a["action"] for a in answers} == {"yes", "no", "na"}
    assert 50 < len(answers) / len(responses) < len(checklist.checkpoints)


def test_records_are_what_the_merge_writes(app, made):
    seqs = []
    for record_type, model in RECORD_MODELS.items():
        for row in _rows(app, model):
            clock = row["clock"]
            assert clock and row["conflicts"] == [] == merge.all_conflicts(clock), record_type
            for key, entry in clock.items():
                assert merge.value_of(entry) == row[key], (record_type, key)
                writer, record = merge.winner(entry)
                seq, value, change_id, at, device, landed, order = record
                assert order == entry["o"] and landed == order
                write = merge.Write(order, writer, seq, value, change_id, at, device, landed)
                assert merge.apply_write(None, write)[0] == entry
            assert row["rev"] == max(e["o"] for e in clock.values())
            assert row["seq"] == max(merge.winner(e)[1][0] for e in clock.values())
            seqs.append(row["seq"])
    assert len(seqs) == len(set(seqs))
    with app.app_context():
        assert db.session.get(SyncClock, 1).value == made.last_seq == max(seqs)


def test_the_answer_clock_text_is_the_json_of_the_merge_s_entries():
    device, change_id, at = ("6f1c8a52-3b8e-4a3e-9a40-0c0d7b8e8c11",
                             "0d0b6a1e-0a3c-4f7e-8a55-3c2b1d0e9f88", "2026-03-04T09:12:33Z")
    for priority, remark in ((True, "Only at night"), (False, "")):
        values = {"response_id": "2a4b6c8d-0000-4000-8000-000000000001",
                  "checkpoint_id": "VH-02", "action": "yes", "priority": priority,
                  "remark": remark}
        expected = {key: merge.apply_write(None, merge.Write(1, device, 41, value, change_id,
                                                             at, device, 1))[0]
                    for key, value in values.items()}
        text = answer_clock(*values.values(), 41, change_id, at, device)
        assert text == json.dumps(expected)


def _status_set_on(item: dict) -> date:
    """Return the day an item's status was last set, from its merge clock."""
    stamp = merge.winner(item["clock"]["status"])[1][3]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").date()


def test_every_status_with_overdue_and_stalled_items(app, made):
    items = _rows(app, ActionItem)
    assert {i["status"] for i in items} == set(ITEM_STATUSES)
    assert {r["status"] for r in _rows(app, Assessment)} <= set(ASSESSMENT_STATUSES)
    overdue = [i for i in items if actions.is_overdue(i, TODAY)]
    stalled = [i for i in items if actions.is_open(i)
               and TODAY - _status_set_on(i) > STALLED_AFTER]
    moving = [i for i in items if actions.is_open(i)
              and TODAY - _status_set_on(i) <= STALLED_AFTER]
    assert overdue and stalled and moving
    assert all(i["updated_at"].date() <= TODAY for i in items)
    assert any(i["checkpoint_id"] is None for i in items)  # a committee's own action


def test_a_small_generation_still_has_open_empty_and_unassessed_cases(app):
    made = _generate(app, sizes=[40], rounds=3, participants=1)
    rounds = _rows(app, Assessment)
    assessed = {r["facility_id"] for r in rounds}
    assert len(assessed) < made.facilities  # some facilities were never assessed
    answered = {a for (a,) in _scalars(app, select(Answer.__table__.c.assessment_id))}
    assert any(r["id"] not in answered for r in rounds)  # a round nobody answered
    still_open = {r["id"] for r in rounds if r["status"] == "open" and r["id"] in answered}
    assert any(not r["completed"] for r in _rows(app, Response)
               if r["assessment_id"] in still_open)  # a walk-through under way


def _scalars(app, query):
    with app.app_context():
        return [tuple(r) for r in db.session.execute(query)]


def _phone(app, facility_id: int) -> Phone:
    from healthwise.devices.service import create_device_token

    with app.app_context():
        _, secret = create_device_token(facility_id, "generated facility's phone")
        db.session.commit()
        facility = db.session.get(Facility, facility_id)
        db.session.expunge(facility)
    return Phone(app.test_client(), facility, secret)


def _followed_up(app) -> dict:
    """Return a follow-up round that has an agreed plan."""
    items = {i["assessment_id"] for i in _rows(app, ActionItem)}
    return next(r for r in _rows(app, Assessment)
                if r["kind"] == "follow_up" and r["id"] in items and r["status"] != "open")


def test_a_phone_of_a_generated_facility_pulls_its_records_and_edits_them(app, made):
    round_ = _followed_up(app)
    facility_id = round_["facility_id"]
    phone = _phone(app, facility_id)
    pulled, cursor, pages = {}, None, 0
    with app.app_context():
        app.config["SYNC_PAGE_SIZE"] = 100  # a few pages
    while True:
        body = phone.sync(cursor=cursor)
        pulled.update({(c["type"], c["id"]): c for c in body["changes"]})
        cursor, pages = body["cursor"], pages + 1
        if not body["more"]:
            break
    assert pages > 1
    stored = {(t, r["id"]): r for t, model in RECORD_MODELS.items()
              for r in _rows(app, model, model.__table__.c.facility_id == facility_id)}
    assert pulled.keys() == stored.keys()
    for key, record in pulled.items():
        assert record["rev"] == stored[key]["rev"] and record["conflicts"] == []
        assert all(stored[key][f] == v for f, v in record["fields"].items()), key
    item = next(r for (t, _), r in pulled.items() if t == "action_item")
    result = phone.sync([phone.change("action_item", item["id"], {"status": "done"},
                                      base_rev=item["rev"])], cursor=cursor)
    assert result["results"][0]["status"] == "applied"
    assert result["results"][0]["rev"] == item["rev"] + 1


def test_a_generated_round_s_plan_renders(app, made):
    round_ = _followed_up(app)
    phone = _phone(app, round_["facility_id"])
    headers = {"Authorization": f"Bearer {phone.token}"}
    plan = phone.client.get(f"/api/v1/assessments/{round_['id']}/plan?lang=fr",
                            headers=headers)
    assert plan.status_code == 200
    body = plan.get_json()
    assert body["items"] and body["suggested"]
    pdf = phone.client.get(f"/api/v1/assessments/{round_['id']}/plan.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_district_pages_read_generated_data_without_names(app, made, make_user):
    manager = make_user("manager")
    with loaded(app) as session:
        session.add(manager)
        manager.districts = [session.get(District, made.districts[0])]
        session.commit()
    client = app.test_client()
    sign_in(client, manager)
    page = client.get(f"/manage/districts/{made.districts[0]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    api = client.get(f"/api/v1/districts/{made.districts[0]}/summary",
                     headers={"Authorization": f"Bearer {_api_token(app, manager)}"})
    assert api.status_code == 200
    for text in (html, api.get_data(as_text=True)):
        assert not re.search(r"Participant [0-9]", text)
        assert not any(note in text for notes in NOTES.values() for note in notes if note)
        assert not any(who in text for who in RESPONSIBLE) and not any(r in text for r in REMARKS)
    with app.app_context():
        names = db.session.scalars(select(Facility.name).where(
            Facility.district_id == made.districts[0])).all()
    assert all(name in html for name in names)


def _api_token(app, user) -> str:
    from healthwise.devices.service import create_user_token

    with app.app_context():
        _, secret = create_user_token(db.session.merge(user), "review")
        db.session.commit()
    return secret


def _digest(app) -> str:
    content = hashlib.sha256()
    for model in (District, Facility, *RECORD_MODELS.values(), SyncClock):
        table = model.__table__
        # Sorted: a query without ORDER BY returns rows in no set order on PostgreSQL.
        for line in sorted(repr(sorted((k, str(v)) for k, v in row.items()))
                           for row in _rows(app, model)):
            content.update(line.encode())
        with app.app_context():
            content.update(str(db.session.scalar(select(func.count()).select_from(table)))
                           .encode())
    return content.hexdigest()


def test_the_same_seed_gives_the_same_data(app):
    small = {"sizes": [2, 1], "participants": 3}
    _generate(app, seed=3, **small)
    first = _digest(app)
    with app.app_context():
        _empty_tables()
    _generate(app, seed=3, **small)
    assert _digest(app) == first
    with app.app_context():
        _empty_tables()
    _generate(app, seed=4, **small)
    assert _digest(app) != first


def test_a_database_with_real_data_is_refused_unless_forced(app, make_facility):
    make_facility("Lakeside Clinic")
    with pytest.raises(GenerateError, match="North District"):
        _generate(app)
    assert count(app, Assessment) == 0
    made = _generate(app, sizes=[2], rounds=1, force=True)
    assert count(app, Facility) == 3 and made.facilities == 2


def test_the_command_generates_and_refuses(app, make_facility):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from healthwise.cli import main

    class Runner:
        def invoke(self, args):
            return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))

    runner = Runner()
    result = runner.invoke(args=["demo", "generate", "--facilities", "3", "--districts", "2",
                                 "--rounds", "1", "--participants", "5", "--seed", "9",
                                 "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "Made 2 districts" in result.output and "answers" in result.output
    assert count(app, Facility) == 3
    again = runner.invoke(args=["demo", "generate", "--facilities", "2", "--districts", "1",
                                "--rounds", "1", "--participants", "2"])
    assert again.exit_code == 0, again.output  # demo data only: adding to it is fine
    make_facility("Lakeside Clinic")
    refused = runner.invoke(args=["demo", "generate", "--facilities", "2", "--districts", "1"])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert count(app, Facility) == 6
    too_few = runner.invoke(args=["demo", "generate", "--facilities", "2", "--districts", "3"])
    assert too_few.exit_code != 0 and "at least one facility per district" in too_few.output


def test_district_sizes_split_evenly():
    assert district_sizes(2000, 10) == [200] * 10
    assert district_sizes(7, 3) == [3, 2, 2]
    with pytest.raises(GenerateError):
        district_sizes(2, 3)


def test_dates_lead_up_to_today(app, made):
    for row in _rows(app, Assessment):
        started = date.fromisoformat(row["started_on"])
        assert TODAY - timedelta(days=800) < started < TODAY


def test_sqlite_is_left_as_configured(app, made):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's pragmas")
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def test_fast_uuids_are_the_uuid_module_s():
    import random
    import uuid

    from healthwise.demo.generate import fast_uuid

    for seed in range(50):
        expected = uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)
        assert fast_uuid(random.Random(seed)) == str(expected)
