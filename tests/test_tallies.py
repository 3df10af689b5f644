"""Round tallies (issue 12): kept by every sync write, always equal to a recount of the
answers (any interleaving of phones, duplicates, merges, rejections, removed rounds), built
by the migration for existing data, rebuilt by ``healthwise districts recount``."""

import uuid
from datetime import date

from click.testing import CliRunner
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from healthwise.access.service import Scope
from healthwise.assessments import tallies
from healthwise.assessments.models import Answer, RoundTally
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor
from healthwise.checklists.registry import registry
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility
from tests.conftest import EXTERNAL_URL, _empty_tables, new_app

DEVICES = [f"1111111{i}-0000-4000-8000-00000000000{i}" for i in range(3)]
SETUP = "99999999-0000-4000-8000-000000000009"
ROUNDS = ["aaaaaaaa-0000-4000-8000-00000000000a", "aaaaaaaa-0000-4000-8000-00000000000b"]
RESPONSES = [f"bbbbbbbb-0000-4000-8000-0000000000{r}{p}" for r in "ab" for p in "12"]
CHECKPOINTS = ["HZ-01", "HZ-02", "IC-04"]  # IC-04 is sensitive
#: Answer id -> (response, checkpoint): two phones may create the same answer.
ANSWERS = {f"cccccccc-0000-4000-8000-0000000000{n:02d}": (RESPONSES[n % 4],
                                                       CHECKPOINTS[n % 3])
           for n in range(9)}
BOGUS_REV = 10**6


def kept() -> dict:
    """Return the tallies as the table holds them: round -> (answers, counts)."""
    table = RoundTally.__table__
    return {row.assessment_id: (row.answers, row.counts)
            for row in db.session.execute(select(table))}


def counted() -> dict:
    """Count the answers table by hand, as the overview counted before the tallies."""
    found: dict = {}
    for row in db.session.execute(select(Answer.__table__)):
        answers, counts = found.get(row.assessment_id, (0, {}))
        if row.action in ("yes", "no", "na"):
            tally = counts.setdefault(row.checkpoint_id, [0, 0, 0, 0])
            tally[0] += 1
            tally[1] += row.action == "yes"
            tally[2] += row.action == "yes" and row.priority is True
            tally[3] += row.action == "no"
        found[row.assessment_id] = (answers + 1, counts)
    return found


def _setup(facility_id: int = 1) -> None:
    """Two rounds of two responses each, written by a setup phone."""
    changes = [{"change_id": str(uuid.uuid4()), "type": "assessment", "id": r,
                "base_rev": None, "fields": {"facility_id": facility_id,
                                             "checklist_id": "healthwise",
                                             "checklist_version": 2}} for r in ROUNDS]
    changes += [{"change_id": str(uuid.uuid4()), "type": "response", "id": response,
                 "base_rev": None, "fields": {"assessment_id": ROUNDS[n // 2]}}
                for n, response in enumerate(RESPONSES)]
    results = push(Scope(frozenset({facility_id})), Actor(None, "setup", SETUP), changes,
                   registry()).results
    assert {r["status"] for r in results} == {"applied"}
    db.session.commit()


@st.composite
def a_change(draw) -> dict:
    kind = draw(st.sampled_from(["answer"] * 8 + ["unknown_checkpoint", "remove_round"]))
    if kind == "remove_round":  # removing a round leaves its tally (the overview skips it)
        return {"type": "assessment", "id": draw(st.sampled_from(ROUNDS)), "base_rev": None,
                "fields": {"removed": draw(st.booleans())}}
    answer_id = draw(st.sampled_from(sorted(ANSWERS)))
    response_id, checkpoint_id = ANSWERS[answer_id]
    if kind == "unknown_checkpoint":  # rejected: counts nowhere
        return {"type": "answer", "id": str(uuid.UUID(int=draw(st.integers(1, 10**6)))),
                "base_rev": None, "fields": {"response_id": response_id,
                                             "checkpoint_id": "ZZ-99", "action": "yes"}}
    names = draw(st.lists(st.sampled_from(["action", "priority", "remark"]), min_size=1,
                          max_size=3, unique=True))
    values = {"action": st.sampled_from(["yes", "no", "na", None]),
              "priority": st.booleans(), "remark": st.sampled_from(["", "leaks"])}
    fields = {"response_id": response_id, "checkpoint_id": checkpoint_id,
              **{name: draw(values[name]) for name in names}}
    # None creates the answer (or writes blind); a revision may be stale, or ahead (refused).
    base_rev = draw(st.sampled_from([None, None, 1, 2, 3, BOGUS_REV]))
    return {"type": "answer", "id": answer_id, "base_rev": base_rev, "fields": fields}


@st.composite
def deliveries(draw) -> list[tuple[int, list[dict]]]:
    """Each phone's changes, delivered in batches in any interleaving, some twice."""
    made = {p: draw(st.lists(a_change(), min_size=1, max_size=8)) for p in range(3)}
    for p, changes in made.items():
        for n, change in enumerate(changes):
            change["change_id"] = f"eeeeeeee-0000-4000-800{p}-{n:012d}"
    sent, out = dict.fromkeys(made, 0), []
    while any(sent[p] < len(made[p]) for p in made):
        p = draw(st.sampled_from([p for p in made if sent[p] < len(made[p])]))
        stop = sent[p] + draw(st.integers(1, len(made[p]) - sent[p]))
        out.append((p, made[p][sent[p]:stop]))
        if draw(st.booleans()):  # the reply was lost: sent again, now duplicates
            out.append((p, made[p][sent[p]:stop]))
        sent[p] = stop
    return out


@settings(max_examples=15 if EXTERNAL_URL else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(deliveries())
def test_tallies_equal_a_recount_after_any_history(app, batches):
    """Phones create and change the same answers in any order, in batches, resending some,
    with stale and refused revisions: after every batch the tallies equal a recount."""
    from healthwise.districts import overview

    with app.app_context():
        _empty_tables()
        db.session.add(Facility(id=1, name="F", district=District(name="D")))
        db.session.commit()
        _setup()
        scope = Scope(frozenset({1}))
        for phone, batch in batches:
            push(scope, Actor(None, f"phone {phone}", DEVICES[phone]), batch, registry())
            db.session.commit()
            assert kept() == counted()
        read = overview.round_tallies(ROUNDS)  # read-only: tuples in a mapping proxy
        assert {r: {k: list(v) for k, v in c.items()} for r, c in read.items()} == {
            r: counts for r, (_, counts) in counted().items() if counts}


def test_a_changed_answer_moves_between_counts_and_the_rule_of_five_follows(app, make_facility,
                                                                           make_token):
    """Yes becomes no, n/a or nothing; a sensitive checkpoint shows once five answered."""
    from healthwise.districts import overview
    from tests.conftest import Phone, new_id

    facility = make_facility()
    phone = Phone(app.test_client(), facility, make_token(facility))
    round_id = new_id()
    changes = [phone.change("assessment", round_id, {
        "facility_id": facility.id, "checklist_id": "healthwise", "checklist_version": 2,
        "status": "open", "started_on": "2026-11-01"})]
    answers = []
    for n in range(5):
        response_id = new_id()
        changes.append(phone.change("response", response_id, {"assessment_id": round_id}))
        for checkpoint_id in ("HZ-01", "IC-04"):
            answers.append(new_id())
            changes.append(phone.change("answer", answers[-1], {
                "response_id": response_id, "checkpoint_id": checkpoint_id,
                "action": "yes" if n < 4 else None, "priority": True}))
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}

    def figures():
        with app.app_context():
            found = overview.facts(facility.district_id)
            line = overview.lines(found, registry(), date(2026, 12, 1))[0]
            assert kept() == counted()
            return line.figures, line.completeness, kept()[round_id][0]

    shown, completeness, records = figures()
    assert shown.counts["HZ-01"] == (4, 4, 4, 0) and "IC-04" in shown.withheld
    assert records == 10 and completeness == 10 / (5 * 82)
    # The fifth person answers the sensitive checkpoint: now it shows.
    assert phone.sync([phone.change("answer", answers[-1], {"action": "no"}, base_rev=1)]
                      )["results"][0]["status"] == "applied"
    shown, _, _ = figures()
    assert shown.counts["IC-04"] == (5, 4, 4, 1) and "IC-04" not in shown.withheld
    # Yes becomes no, n/a, then nothing: each leaves the counts it was in.
    for action, expected in (("no", (4, 3, 3, 1)), ("na", (4, 3, 3, 0)), (None, (3, 3, 3, 0))):
        rev = {"no": 1, "na": 2, None: 3}[action]
        assert phone.sync([phone.change("answer", answers[0], {"action": action},
                                        base_rev=rev)])["results"][0]["status"] == "applied"
        shown, _, records = figures()
        assert shown.counts["HZ-01"] == expected and records == 10
    # A priority mark without a proposal for action counts nowhere.
    phone.sync([phone.change("answer", answers[2], {"priority": False}, base_rev=1)])
    shown, _, _ = figures()
    assert shown.counts["HZ-01"] == (3, 3, 2, 0)


def test_the_migration_counts_the_answers_already_there(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = new_app(url)
    with app.app_context():
        upgrade()
        db.session.add(Facility(id=1, name="F", district=District(name="D")))
        db.session.commit()
        _setup()
        changes = [{"change_id": str(uuid.uuid4()), "type": "answer", "id": answer_id,
                    "base_rev": None, "fields": {"response_id": response_id,
                                                 "checkpoint_id": checkpoint_id,
                                                 "action": ("yes", "no", "na", None)[n % 4],
                                                 "priority": n % 3 == 0}}
                   for n, (answer_id, (response_id, checkpoint_id)) in enumerate(ANSWERS.items())]
        push(Scope(frozenset({1})), Actor(None, "phone", DEVICES[0]), changes, registry())
        db.session.commit()
        expected = counted()
        assert kept() == expected and len(expected) == 2
        db.session.remove()
        downgrade(revision="a5f0c1e2d3b4")
        upgrade()
        assert kept() == expected
        db.engine.dispose()


def _command(app, args):
    from flask.cli import ScriptInfo

    from healthwise.cli import main

    return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))


def test_recount_rebuilds_tallies_gone_wrong(app):
    with app.app_context():
        db.session.add(Facility(id=1, name="F", district=District(id=7, name="D")))
        db.session.commit()
        _setup()
        changes = [{"change_id": str(uuid.uuid4()), "type": "answer", "id": answer_id,
                    "base_rev": None, "fields": {"response_id": response_id,
                                                 "checkpoint_id": checkpoint_id,
                                                 "action": "yes"}}
                   for answer_id, (response_id, checkpoint_id) in ANSWERS.items()]
        push(Scope(frozenset({1})), Actor(None, "phone", DEVICES[0]), changes, registry())
        db.session.commit()
        expected = counted()
        table = RoundTally.__table__
        db.session.execute(update(table).values(answers=0, counts={}))
        db.session.commit()
        assert kept() != expected
    result = _command(app, ["districts", "recount", "--district", "7"])
    assert result.exit_code == 0, result.output
    assert "Counted the answers of 2 rounds." in result.output
    with app.app_context():
        assert kept() == expected
        db.session.execute(update(table).values(answers=0, counts={}))
        db.session.commit()
    assert _command(app, ["districts", "recount"]).exit_code == 0
    with app.app_context():
        assert kept() == expected
    for district in ("8", "0", str(2**40)):
        result = _command(app, ["districts", "recount", "--district", district])
        assert result.exit_code == 1 and f"There is no district {district}" in result.output


def test_generated_data_is_counted_too(app):
    from healthwise.demo.generate import generate

    with app.app_context():
        generate([4, 3], 3, 5, registry(), seed=5, today=date(2026, 12, 1))
        found = counted()
        assert kept() == found and len(found) > 10
        assert tallies.recount() == len(found) and kept() == found
