"""Property-based: any interleaving, duplication and batching of the same changes
converges to the same state, and every accepted value is in history."""

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import select

from healthwise.assessments import service
from healthwise.assessments.models import RECORD_MODELS, Change
from healthwise.checklists.views import registry
from healthwise.extensions import db
from tests.conftest import EXTERNAL_URL, _empty_tables

DEVICES = ["11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002",
           "33333333-0000-4000-8000-000000000003"]
ASSESSMENT = "aaaaaaaa-0000-4000-8000-000000000000"
RESPONSE = "bbbbbbbb-0000-4000-8000-000000000000"
ANSWERS = [f"cccccccc-0000-4000-8000-00000000000{i}" for i in range(3)]
ITEM = "dddddddd-0000-4000-8000-000000000000"

TARGETS = {
    ("response", RESPONSE): {"role": st.sampled_from(["nurse", "midwife", "cleaner"]),
                             "completed": st.booleans()},
    **{("answer", a): {"action": st.sampled_from(["yes", "no", "na", None]),
                       "priority": st.booleans(),
                       "remark": st.sampled_from(["", "broken", "ok"])} for a in ANSWERS},
    ("action_item", ITEM): {"status": st.sampled_from(["planned", "in_progress", "done"]),
                            "responsible": st.sampled_from(["Ana", "Ben"])},
}


@st.composite
def a_change(draw, device):
    record_type, record_id = draw(st.sampled_from(sorted(TARGETS)))
    options = TARGETS[(record_type, record_id)]
    names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2, unique=True))
    return {"change_id": None,  # made unique by scenario()
            "type": record_type, "id": record_id,
            "base_rev": draw(st.integers(min_value=1, max_value=4)),
            "fields": {name: draw(options[name]) for name in names}}


@st.composite
def scenario(draw):
    """Each device's changes in the order it made them, and one way of delivering them."""
    made = {d: draw(st.lists(a_change(d), min_size=1, max_size=4)) for d in DEVICES}
    for number, device in enumerate(DEVICES):
        for position, change in enumerate(made[device]):
            change["change_id"] = f"eeeeeeee-0000-4000-800{number}-{position:012d}"
    sent = {d: 0 for d in DEVICES}
    deliveries = []
    while any(sent[d] < len(made[d]) for d in DEVICES):
        device = draw(st.sampled_from([d for d in DEVICES if sent[d] < len(made[d])]))
        new = draw(st.integers(1, len(made[device]) - sent[device]))
        repeat = draw(st.integers(0, sent[device]))
        batch = made[device][sent[device] - repeat: sent[device] + new]
        sent[device] += new
        deliveries.append((device, batch))
        if draw(st.booleans()):  # a retry of the whole batch, the reply having been lost
            deliveries.append((device, batch))
    return made, deliveries


def setup_records(scope, facility_id):
    def change(record_type, record_id, fields):
        return {"change_id": str(uuid.uuid4()), "type": record_type, "id": record_id,
                "base_rev": None, "fields": fields}

    changes = [
        change("assessment", ASSESSMENT, {"facility_id": facility_id,
                                          "checklist_id": "healthwise", "checklist_version": 1}),
        change("response", RESPONSE, {"assessment_id": ASSESSMENT, "role": "nurse"}),
        *[change("answer", a, {"response_id": RESPONSE, "checkpoint_id": cp})
          for a, cp in zip(ANSWERS, ["HZ-01", "HZ-02", "IC-01"], strict=True)],
        change("action_item", ITEM, {"assessment_id": ASSESSMENT, "action": "fix it"}),
    ]
    results, *_ = service.push(scope, service.Actor(None, "setup", str(uuid.uuid4())), changes,
                              registry())
    assert {r["status"] for r in results} == {"applied"}


def run(deliveries, facility_id):
    """Apply deliveries to an empty database; return the final state of every record."""
    _empty_tables()
    from healthwise.districts.models import District, Facility

    db.session.add(Facility(id=facility_id, name="F", district=District(name="D")))
    db.session.commit()
    scope = service.Scope(frozenset({facility_id}))
    setup_records(scope, facility_id)
    db.session.commit()
    for device, batch in deliveries:
        results, *_ = service.push(scope, service.Actor(None, "phone", device), batch, registry())
        db.session.commit()
        assert all(r["status"] != "rejected" for r in results), results
    state = {}
    for record_type, model in RECORD_MODELS.items():
        for row in db.session.execute(select(model.__table__)).mappings():
            fields = {k: row[k] for k in service.wire_fields(record_type)}
            conflicts = sorted((c["field"], repr(c["value"]), c["device_id"])
                               for c in row["conflicts"])
            state[(record_type, row["id"])] = (fields, conflicts)
    history = {(c.change_id, field, repr(value))
               for c in db.session.execute(select(Change)).scalars()
               for field, value in c.fields.items()}
    return state, history


@settings(max_examples=20 if EXTERNAL_URL else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario())
def test_any_delivery_converges_and_history_keeps_every_value(app, case):
    made, deliveries = case
    # The reference delivery: each phone sends everything once, one phone after another.
    reference = [(d, made[d]) for d in DEVICES]
    expected_state, _ = run(reference, 1)
    state, history = run(deliveries, 1)
    assert state == expected_state
    for device in DEVICES:
        for change in made[device]:
            for field, value in change["fields"].items():
                assert (change["change_id"], field, repr(value)) in history


@settings(max_examples=20 if EXTERNAL_URL else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario())
def test_reversed_phone_order_converges(app, case):
    made, _ = case
    forward, _ = run([(d, made[d]) for d in DEVICES], 1)
    backward, _ = run([(d, made[d]) for d in reversed(DEVICES)], 1)
    assert forward == backward


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
    | st.text(max_size=5) | st.uuids().map(str) | st.sampled_from(sorted(service.RECORD_TYPES)),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=2),
    max_leaves=4)
ENVELOPE_KEYS = st.sampled_from(sorted(service.ENVELOPE_KEYS) + ["extra"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(ENVELOPE_KEYS, JSON_VALUES) | JSON_VALUES)
def test_the_quick_envelope_check_agrees_with_the_schema(raw):
    """The fast path only ever accepts what the schema accepts, and loads it the same."""
    quick = service._plain_envelope(raw)
    try:
        loaded = service.CHANGE_SCHEMA.load(raw)
    except ValidationError:
        assert quick is None
    else:
        if quick is not None:
            assert quick == loaded


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries(
    {"change_id": st.uuids().map(str), "type": st.sampled_from(sorted(service.RECORD_TYPES)),
     "id": st.uuids().map(lambda u: str(u).upper()),
     "fields": st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3)},
    optional={"base_rev": st.none() | st.integers(0, 10**6)}))
def test_the_quick_envelope_check_takes_every_plain_change(raw):
    assert service._plain_envelope(raw) == service.CHANGE_SCHEMA.load(raw)
