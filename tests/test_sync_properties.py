"""Property-based: any interleaving, duplication and batching of the same changes
converges to the same state, and every accepted value is in history; phones that lose
replies still end up holding what the server holds."""

import uuid

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import select

from healthwise.access.service import Scope
from healthwise.assessments import envelope, merge
from healthwise.assessments.models import RECORD_MODELS, Change
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor
from healthwise.assessments.schemas import RECORD_TYPES
from healthwise.assessments.store import blank_row
from healthwise.checklists.registry import registry
from healthwise.extensions import db
from tests import histories
from tests.conftest import EXTERNAL_URL, _empty_tables

DEVICES = ["11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002",
           "33333333-0000-4000-8000-000000000003"]
SETUP_DEVICE = "99999999-0000-4000-8000-000000000009"
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


# The setup edits every record this often, so that each base_rev below is a revision
# some phone may honestly have seen, whatever the order the changes arrive in.
SETUP_REVS = 5
#: A base_rev no record reaches in these tests: always rejected, never stored.
BOGUS_REV = 10**6


@st.composite
def a_change(draw, device):
    record_type, record_id = draw(st.sampled_from(sorted(TARGETS)))
    options = TARGETS[(record_type, record_id)]
    names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2, unique=True))
    fields = {name: draw(options[name]) for name in names}
    kind = draw(st.sampled_from(["honest"] * 8 + ["bogus_rev", "other_type"]))
    if kind == "other_type":
        # A create reusing the id of a record of another type: refused, always.
        other = draw(st.sampled_from([t for t in sorted(TARGETS) if t[0] != "answer"]))
        return {"change_id": None, "type": "answer", "id": other[1], "base_rev": None,
                "fields": {"response_id": RESPONSE, "checkpoint_id": "HZ-03"}, "bogus": True}
    return {"change_id": None,  # made unique by scenario()
            "type": record_type, "id": record_id,
            "base_rev": BOGUS_REV if kind == "bogus_rev" else draw(
                st.integers(min_value=1, max_value=SETUP_REVS)),
            "fields": fields, "bogus": kind != "honest"}


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
    for rev in range(2, SETUP_REVS + 1):  # the records reach revision SETUP_REVS
        changes += [change(t, i, {"role" if t == "response" else "action" if t != "assessment"
                                  else "title": f"rev {rev}" if t != "answer" else None})
                    for t, i in [("response", RESPONSE), *[("answer", a) for a in ANSWERS],
                                 ("action_item", ITEM)]]
    # One setup phone for every run: a phone that pulled revision 1 did not see its
    # later edits, which stay open against it, under the same device id each run.
    results, *_ = push(scope, Actor(None, "setup", SETUP_DEVICE), changes, registry())
    assert {r["status"] for r in results} == {"applied"}, results


def run(app, deliveries, facility_id):
    """Apply deliveries to an empty database; return the final state of every record."""
    with app.app_context():
        return _run(deliveries, facility_id)


def _run(deliveries, facility_id):
    _empty_tables()
    from healthwise.facilities.models import District, Facility

    db.session.add(Facility(id=facility_id, name="F", district=District(name="D")))
    db.session.commit()
    scope = Scope(frozenset({facility_id}))
    setup_records(scope, facility_id)
    db.session.commit()
    bogus = {c["change_id"] for _d, batch in deliveries for c in batch if c["bogus"]}
    for device, batch in deliveries:
        wire = [{k: v for k, v in c.items() if k != "bogus"} for c in batch]
        results, *_ = push(scope, Actor(None, "phone", device), wire, registry())
        db.session.commit()
        assert {r["change_id"] for r in results if r["status"] == "rejected"} \
            == {c["change_id"] for c in batch} & bogus, results
    state = {}
    for record_type, model in RECORD_MODELS.items():
        for row in db.session.execute(select(model.__table__)).mappings():
            fields = {k: row[k] for k in envelope.wire_fields(record_type)}
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
    expected_state, _ = run(app, reference, 1)
    state, history = run(app, deliveries, 1)
    assert state == expected_state
    for device in DEVICES:
        for change in made[device]:
            for field, value in change["fields"].items():
                accepted = (change["change_id"], field, repr(value)) in history
                assert accepted != change["bogus"]


@settings(max_examples=20 if EXTERNAL_URL else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario())
def test_reversed_phone_order_converges(app, case):
    made, _ = case
    forward, _ = run(app, [(d, made[d]) for d in DEVICES], 1)
    backward, _ = run(app, [(d, made[d]) for d in reversed(DEVICES)], 1)
    assert forward == backward


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
    | st.text(max_size=5) | st.uuids().map(str) | st.sampled_from(sorted(RECORD_TYPES)),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=2),
    max_leaves=4)
ENVELOPE_KEYS = st.sampled_from(sorted(envelope.ENVELOPE_KEYS) + ["extra"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(ENVELOPE_KEYS, JSON_VALUES) | JSON_VALUES)
def test_the_quick_envelope_check_agrees_with_the_schema(raw):
    """The fast path only ever accepts what the schema accepts, and loads it the same."""
    quick = envelope._plain_envelope(raw)
    try:
        loaded = envelope.CHANGE_SCHEMA.load(raw)
    except ValidationError:
        assert quick is None
    else:
        if quick is not None:
            assert quick == loaded


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries(
    {"change_id": st.uuids().map(str), "type": st.sampled_from(sorted(RECORD_TYPES)),
     "id": st.uuids().map(lambda u: str(u).upper()),
     "fields": st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3)},
    optional={"base_rev": st.none() | st.integers(0, 10**6)}))
def test_the_quick_envelope_check_takes_every_plain_change(raw):
    assert envelope._plain_envelope(raw) == envelope.CHANGE_SCHEMA.load(raw)


class PhoneModel:
    """The PWA's bookkeeping (``static/js/outbox.js``: ``edit`` and ``apply``), over HTTP.

    It keeps, per record, the server revision and fields it last heard of, and an
    outbox of changes that stays until their results come back.
    """

    def __init__(self, client, token: str, device_id: str):
        self.client, self.token, self.device_id = client, token, device_id
        self.records: dict[str, dict] = {}
        self.outbox: list[dict] = []
        self.cursor = None
        self.made = 0

    def edit(self, record_type: str, record_id: str, fields: dict, base_rev="local") -> dict:
        record = self.records.setdefault(record_id, {"type": record_type, "rev": None,
                                                     "server": {}})
        self.made += 1
        change = {"change_id": str(uuid.uuid4()), "type": record_type, "id": record_id,
                  "base_rev": record["rev"] if base_rev == "local" else base_rev,
                  "fields": fields}
        self.outbox.append(change)
        return change

    def sync(self, lost: bool = False) -> list[dict]:
        """Send the outbox and pull; with ``lost``, the server acts but the reply is lost."""
        results = []
        while True:
            sent = list(self.outbox)
            response = self.client.post(
                "/api/v1/sync", headers={"Authorization": f"Bearer {self.token}"},
                json={"device_id": self.device_id, "cursor": self.cursor, "changes": sent})
            assert response.status_code == 200, response.get_json()
            if lost:
                return []
            body = response.get_json()
            self.apply(body, sent)
            results += body["results"]
            if not body["more"]:
                return results

    def apply(self, body: dict, sent: list[dict]) -> None:
        by_id = {c["change_id"]: c for c in sent}
        for result in body["results"]:
            change = by_id[result["change_id"]]
            self.outbox.remove(change)  # rejected ones too: the user discards them
            record = self.records[change["id"]]
            if result["status"] in ("applied", "duplicate", "merged"):
                record["server"].update(change["fields"])
            if result["status"] != "rejected" and (record["rev"] is None
                                                   or result["rev"] > record["rev"]):
                record["rev"] = result["rev"]
        for pulled in body["changes"]:
            record = self.records.setdefault(pulled["id"], {"type": pulled["type"], "rev": None,
                                                            "server": {}})
            if record["rev"] is not None and pulled["rev"] < record["rev"]:
                continue
            record["server"].update(pulled["fields"])
            record["rev"] = pulled["rev"]
        self.cursor = body["cursor"]


def server_records(app) -> dict:
    """Return every record on the server: ``{id: (type, rev, fields)}``."""
    found = {}
    with app.app_context():
        for record_type, model in RECORD_MODELS.items():
            for row in db.session.execute(select(model.__table__)).mappings():
                found[row["id"]] = (record_type, row["rev"],
                                    {k: row[k] for k in envelope.wire_fields(record_type)})
    return found


def held(phone: PhoneModel) -> dict:
    return {i: (r["type"], r["rev"], r["server"]) for i, r in phone.records.items()}


def agrees(app, phone: PhoneModel) -> bool:
    """Return True if the phone holds every record at the server's revision with the
    server's fields (a field of a record it created and never heard of is the default)."""
    server = server_records(app)
    if phone.records.keys() != server.keys():
        return False
    for record_id, record in phone.records.items():
        record_type, rev, fields = server[record_id]
        shown = {**{k: blank_row(record_type)[k] for k in fields}, **record["server"]}
        if (record["type"], record["rev"], shown) != (record_type, rev, fields):
            return False
    return True


EDITS = {"response": {"role": st.sampled_from(["nurse", "midwife"]),
                      "completed": st.booleans()},
         "answer": {"action": st.sampled_from(["yes", "no", None]),
                    "priority": st.booleans(), "remark": st.sampled_from(["", "leaks"])},
         "action_item": {"status": st.sampled_from(["planned", "done"]),
                         "responsible": st.sampled_from(["Ana", "Ben"]),
                         "action": st.sampled_from(["fix", "ask"])}}
OWN_ITEMS = [f"ffffffff-0000-4000-8000-00000000000{n}" for n in range(3)]


@st.composite
def phone_events(draw):
    """Edits, creates and syncs of three phones; some replies are lost on the way."""
    events = []
    for _ in range(draw(st.integers(3, 14))):
        phone = draw(st.integers(0, 2))
        kind = draw(st.sampled_from(["edit", "edit", "create", "sync", "lost", "bogus"]))
        if kind in ("edit", "bogus"):
            record_type, record_id = draw(st.sampled_from(
                [("response", RESPONSE), ("answer", ANSWERS[0]), ("action_item", ITEM),
                 *[("action_item", i) for i in OWN_ITEMS]]))
            options = EDITS[record_type]
            names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2,
                                  unique=True))
            events.append((kind, phone, record_type, record_id,
                           {n: draw(options[n]) for n in names}))
        elif kind == "create":
            events.append((kind, phone, "action_item", OWN_ITEMS[phone],
                           {"assessment_id": ASSESSMENT, "action": f"phone {phone}'s idea"}))
        else:
            events.append((kind, phone))
    return events


@settings(max_examples=15 if EXTERNAL_URL else 30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(phone_events())
@example([  # issue 9, case 4, as seen in the real app
    ("create", 0, "action_item", OWN_ITEMS[0], {"assessment_id": ASSESSMENT, "action": "fix"}),
    ("lost", 0),  # phone 0's create lands, its reply is lost
    ("sync", 1),  # phone 1 pulls the new item...
    ("edit", 1, "action_item", OWN_ITEMS[0], {"responsible": "Ben"}),  # ...and edits it
    ("sync", 1),
    ("edit", 0, "action_item", OWN_ITEMS[0], {"status": "done"}),  # base_rev null
    ("sync", 0),  # resends the create (duplicate) and the edit
])
def test_phones_that_lose_replies_still_hold_the_server_fields(app, client, events):
    """After any delivery, a phone that has pulled with nothing left to send holds exactly
    the server's fields and revisions (issue 9, case 4: a lost reply, then a change with
    base_rev null on a record that exists, must not hide another phone's edit)."""
    from healthwise.devices.service import create_device_token
    from healthwise.facilities.models import District, Facility

    with app.app_context():
        _empty_tables()
        facility = Facility(name="F", district=District(name="D"))
        db.session.add(facility)
        db.session.flush()
        setup_records(Scope(frozenset({facility.id})), facility.id)
        phones = [PhoneModel(client, create_device_token(facility.id, f"p{n}")[1], device)
                  for n, device in enumerate(DEVICES)]
        db.session.commit()
    for phone in phones:
        phone.sync()
        assert agrees(app, phone), (held(phone), server_records(app))

    bogus = set()
    for kind, number, *rest in events:
        phone = phones[number]
        if kind in ("edit", "bogus"):
            record_type, record_id, fields = rest
            if record_id not in phone.records:
                continue  # a phone edits only what it holds
            change = phone.edit(record_type, record_id, fields,
                                BOGUS_REV if kind == "bogus" else "local")
            if kind == "bogus":
                bogus.add(change["change_id"])
        elif kind == "create":
            record_type, record_id, fields = rest
            if record_id not in phone.records:
                phone.edit(record_type, record_id, fields)
        else:
            results = phone.sync(lost=kind == "lost")
            assert {r["change_id"] for r in results if r["status"] == "rejected"} <= bogus
            if kind == "sync" and not phone.outbox:
                assert agrees(app, phone), (held(phone), server_records(app))

    for phone in phones:  # everything sent, then everyone pulls
        phone.sync()
    for phone in phones:
        phone.sync()
        assert agrees(app, phone), (held(phone), server_records(app))


class SyncServer:
    """The real push, for the phones of ``tests.histories``: one batch per send, each
    phone a writer of its own, the record an action item the setup phone created."""

    def __init__(self, facility_id: int):
        self.scope = Scope(frozenset({facility_id}))
        results, *_ = push(self.scope, Actor(None, "setup", SETUP_DEVICE), [
            {"change_id": str(uuid.uuid4()), "type": "assessment", "id": ASSESSMENT,
             "base_rev": None, "fields": {"facility_id": facility_id,
                                          "checklist_id": "healthwise",
                                          "checklist_version": 1}},
            {"change_id": histories.SETUP_CHANGE_ID, "type": "action_item", "id": ITEM,
             "base_rev": None, "fields": {"assessment_id": ASSESSMENT, "action": "fix it",
                                          **histories.CREATED}}], registry())
        assert [r["status"] for r in results] == ["applied", "applied"]
        db.session.commit()

    @staticmethod
    def writer(phone: int) -> str:
        return SETUP_DEVICE if phone == histories.SETUP else DEVICES[phone]

    def item(self) -> dict:
        table = RECORD_MODELS["action_item"].__table__
        return dict(db.session.execute(select(table).where(table.c.id == ITEM)).mappings()
                    .one())

    def rev(self) -> int:
        return self.item()["rev"]

    def send(self, phone: int, batch) -> list[tuple[str, int]]:
        results, *_ = push(self.scope, Actor(None, f"phone {phone}", DEVICES[phone]), [
            {"change_id": m.change_id, "type": "action_item", "id": ITEM,
             "base_rev": m.base_rev, "fields": m.fields} for m in batch], registry())
        db.session.commit()
        return [(r["status"], r["rev"]) for r in results]


@settings(max_examples=20 if EXTERNAL_URL else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(histories.histories())
def test_the_server_keeps_open_what_the_winner_never_saw(app, steps):
    """Phones pull, edit offline and deliver in any interleaving, with lost replies: the
    winner is the old rule's, and a phone's latest write is open exactly when the winner
    did not see it, nor it the winner, and the values differ (``tests/histories.py``)."""
    from healthwise.facilities.models import District, Facility

    with app.app_context():
        _empty_tables()
        db.session.add(Facility(id=1, name="F", district=District(name="D")))
        db.session.commit()
        server = SyncServer(1)
        made = histories.play(steps, server)
        row = server.item()
    for m in made:
        assert m.results[0] in ("applied", "merged", "conflict"), m.results
        assert set(m.results[1:]) <= {"duplicate"}, m.results
    for name in histories.VALUES:
        win, open_ids = histories.expected(made, name, server.writer)
        assert row[name] == win.fields[name]
        assert merge.winner(row["clock"][name])[1][2] == win.change_id
        assert {c["change_id"] for c in row["conflicts"] if c["field"] == name} == open_ids
        devices = {c["change_id"]: c["device_id"] for c in row["conflicts"]}
        assert all(devices[m.change_id] == DEVICES[m.phone] for m in made
                   if m.change_id in open_ids)
