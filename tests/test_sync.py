"""The sync endpoint: every status, the scope rule, every whole-request error."""

import pytest
from sqlalchemy import select

from healthwise.assessments.models import Answer, Change
from healthwise.extensions import db
from tests.conftest import Phone, count, new_app, new_id


def statuses(body):
    return [r["status"] for r in body["results"]]


def test_applied_creates_records_and_pull_returns_them(app, phone):
    assessment_id, response_id, changes = phone.round_changes(n_answers=3)
    body = phone.sync(changes)
    assert statuses(body) == ["applied"] * 5
    assert all(r["rev"] == 1 for r in body["results"])
    # The phone already holds what it just sent: nothing comes back...
    assert body["changes"] == []
    # ...but every other pull (another phone, or a fresh start) returns it.
    pulled = {c["id"]: c for c in phone.sync()["changes"]}
    assert pulled[assessment_id]["fields"]["title"] == "Baseline"
    assert pulled[response_id]["fields"]["participant"] == "Amina"
    assert body["more"] is False and body["cursor"]
    assert count(app, Answer) == 3


def test_duplicate_batch_is_stored_once_and_returns_first_result(app, phone):
    _, _, changes = phone.round_changes(n_answers=4)
    first = phone.sync(changes)
    for _ in range(3):
        again = phone.sync(changes)
        assert statuses(again) == ["duplicate"] * 6
        assert [r["rev"] for r in again["results"]] == [r["rev"] for r in first["results"]]
    assert count(app, Change) == 6
    assert count(app, Answer) == 4


def test_same_change_twice_in_one_batch_is_a_duplicate(phone):
    _, _, changes = phone.round_changes(n_answers=1)
    body = phone.sync(changes + [changes[-1]])
    assert statuses(body) == ["applied", "applied", "applied", "duplicate"]


def test_change_id_reused_with_other_content_is_rejected(phone):
    _, _, changes = phone.round_changes(n_answers=1)
    phone.sync(changes)
    altered = {**changes[-1], "fields": {**changes[-1]["fields"], "action": "no"}}
    body = phone.sync([altered])
    assert statuses(body) == ["rejected"]
    assert body["results"][0]["error"]["code"] == "change_id_reused"


def test_merged_when_base_rev_is_behind_but_field_untouched(phone, client, make_token):
    _, response_id, changes = phone.round_changes(n_answers=0)
    phone.sync(changes)
    other = Phone(client, phone.facility, make_token(phone.facility))
    assert statuses(other.sync([other.change("response", response_id, {"role": "midwife"},
                                             base_rev=1)])) == ["applied"]
    body = phone.sync([phone.change("response", response_id, {"completed": True}, base_rev=1)])
    assert statuses(body) == ["merged"]
    record = next(c for c in body["changes"] if c["id"] == response_id)
    assert record["fields"]["role"] == "midwife" and record["fields"]["completed"] is True
    assert record["conflicts"] == []


def test_conflict_keeps_a_deterministic_winner_and_the_other_value(phone, client, make_token):
    _, response_id, changes = phone.round_changes(n_answers=0)
    phone.sync(changes)
    a = Phone(client, phone.facility, make_token(phone.facility), device_id="a" * 8 + new_id()[8:])
    b = Phone(client, phone.facility, make_token(phone.facility), device_id="b" * 8 + new_id()[8:])
    assert statuses(a.sync([a.change("response", response_id, {"role": "nurse A"},
                                     base_rev=1)])) == ["applied"]
    body = b.sync([b.change("response", response_id, {"role": "nurse B"}, base_rev=1)])
    assert statuses(body) == ["conflict"]
    record = next(c for c in body["changes"] if c["id"] == response_id)
    # Same base revision: the greater device id wins, the other value is "to discuss".
    assert record["fields"]["role"] == "nurse B"
    assert [(c["field"], c["value"], c["device_id"]) for c in record["conflicts"]] == [
        ("role", "nurse A", a.device_id)]
    # A later change made on the current revision resolves it.
    body = a.sync([a.change("response", response_id, {"role": "nurse A"},
                            base_rev=record["rev"])])
    assert statuses(body) == ["applied"]
    record = next(c for c in a.sync()["changes"] if c["id"] == response_id)
    assert record["fields"]["role"] == "nurse A" and record["conflicts"] == []


def test_conflict_winner_does_not_depend_on_arrival_order(app, client, make_facility, make_token):
    facility = make_facility()
    results = []
    for order in (("a", "b"), ("b", "a")):
        seed = Phone(client, facility, make_token(facility))
        _, response_id, changes = seed.round_changes(n_answers=0)
        seed.sync(changes)
        phones = {name: Phone(client, facility, make_token(facility),
                              device_id=name * 8 + new_id()[8:]) for name in "ab"}
        for name in order:
            phones[name].sync([phones[name].change("response", response_id,
                                                   {"role": f"role {name}"}, base_rev=1)])
        body = seed.sync()
        record = next(c for c in body["changes"] if c["id"] == response_id)
        results.append((record["fields"]["role"], [c["value"] for c in record["conflicts"]]))
    assert results[0] == results[1] == ("role b", ["role a"])


def pulled(body, record_id):
    return next(c for c in body["changes"] if c["id"] == record_id)


@pytest.mark.parametrize("a_first", [True, False], ids=["A then B", "B then A"])
def test_edits_that_cross_are_to_discuss_whatever_arrives_first(phone, client, make_token,
                                                                a_first):
    """A edits "responsible" on revision 3; B pulls revision 5, which lacks A's edit,
    and edits it too. B wins (newer state), and A's value, which B never saw, is an
    open conflict in every pull until a change made on the current revision."""
    assessment_id, _, changes = phone.round_changes(n_answers=0)
    item_id = new_id()
    phone.sync([*changes, phone.change("action_item", item_id, {
        "assessment_id": assessment_id, "action": "Fix the basin", "responsible": ""})])
    for rev, status in ((1, "in_progress"), (2, "planned")):  # the item reaches revision 3
        assert statuses(phone.sync([phone.change("action_item", item_id,
                                                  {"status": status}, base_rev=rev)])) \
            == ["applied"]
    a = Phone(client, phone.facility, make_token(phone.facility, "Amina's phone"))
    b = Phone(client, phone.facility, make_token(phone.facility, "Joseph's phone"))
    assert pulled(a.sync(), item_id)["rev"] == 3
    edit_a = a.change("action_item", item_id, {"responsible": "Amina"}, base_rev=3)  # offline
    for rev, note in ((3, "asked"), (4, "ordered")):  # another phone, meanwhile
        phone.sync([phone.change("action_item", item_id, {"progress_note": note},
                                 base_rev=rev)])
    assert pulled(b.sync(), item_id)["rev"] == 5
    edit_b = b.change("action_item", item_id, {"responsible": "Joseph"}, base_rev=5)

    if a_first:
        first = a.sync([edit_a])
        assert statuses(first) == ["merged"]  # nobody else wrote "responsible" since 3
        assert pulled(first, item_id)["fields"]["responsible"] == "Amina"
        body = b.sync([edit_b])
        # Someone else changed the same field since B's base_rev: a conflict.
        assert body["results"] == [{"change_id": edit_b["change_id"], "status": "conflict",
                                    "rev": 7}]
    else:
        assert statuses(b.sync([edit_b])) == ["applied"]
        body = a.sync([edit_a])
        assert body["results"] == [{"change_id": edit_a["change_id"], "status": "conflict",
                                    "rev": 7, "superseded": ["responsible"]}]
    for record in (pulled(body, item_id), pulled(phone.sync(), item_id)):
        assert record["rev"] == 7
        assert record["fields"]["responsible"] == "Joseph"
        assert [(c["field"], c["value"], c["device_id"], c["change_id"])
                for c in record["conflicts"]] == [
            ("responsible", "Amina", a.device_id, edit_a["change_id"])]

    # The committee picks a value on the current revision: that settles it.
    settle = phone.change("action_item", item_id, {"responsible": "Amina"}, base_rev=7)
    assert statuses(phone.sync([settle])) == ["applied"]
    for who in (a, b):
        record = pulled(who.sync(), item_id)
        assert record["fields"]["responsible"] == "Amina" and record["conflicts"] == []


def test_older_state_change_is_superseded_kept_in_history_and_to_discuss(app, phone, client,
                                                                        make_token):
    _, response_id, changes = phone.round_changes(n_answers=0)
    phone.sync(changes)
    phone.sync([phone.change("response", response_id, {"role": "v2"}, base_rev=1)])
    newer = phone.sync([phone.change("response", response_id, {"role": "v3"}, base_rev=2)])
    assert statuses(newer) == ["applied"]
    late = Phone(client, phone.facility, make_token(phone.facility))
    change = late.change("response", response_id, {"role": "old"}, base_rev=1)
    body = late.sync([change])
    # Made on revision 1, it never saw v2 nor v3, which never saw it: it loses, and is
    # an open conflict.
    assert statuses(body) == ["conflict"] and body["results"][0]["superseded"] == ["role"]
    record = next(c for c in body["changes"] if c["id"] == response_id)
    assert record["fields"]["role"] == "v3"
    assert [(c["value"], c["change_id"]) for c in record["conflicts"]] == [
        ("old", change["change_id"])]
    # The same value from older state is no conflict: merged, its value superseded.
    agreeing = late.sync([late.change("response", response_id, {"role": "v3"}, base_rev=1)])
    assert statuses(agreeing) == ["merged"] and agreeing["results"][0]["superseded"] == [
        "role"]
    assert next(c for c in agreeing["changes"] if c["id"] == response_id)["conflicts"] == []
    with app.app_context():
        kept = db.session.scalar(select(Change.fields).where(
            Change.change_id == change["change_id"]))
    assert kept == {"role": "old"}


@pytest.mark.parametrize("fields, code", [
    ({"checkpoint_id": "ZZ-99"}, "unknown_checkpoint"),
    ({"action": "maybe"}, "invalid"),
    ({"priority": "very"}, "invalid"),
    ({"remark": 5}, "invalid"),
    ({"colour": "red"}, "invalid"),
    ({}, "empty_change"),
])
def test_rejected_changes_do_not_affect_the_rest_of_the_batch(app, phone, fields, code):
    _, response_id, changes = phone.round_changes(n_answers=1)
    bad = phone.change("answer", new_id(), {"response_id": response_id,
                                            "checkpoint_id": "HZ-01", **fields})
    if not fields:
        bad["fields"] = {}
    body = phone.sync(changes + [bad])
    assert statuses(body) == ["applied"] * 3 + ["rejected"]
    error = body["results"][-1]["error"]
    assert error["code"] == code and error["message"]
    assert count(app, Answer) == 1


def test_rejected_when_creating_without_required_fields_or_parent(phone):
    body = phone.sync([
        phone.change("answer", new_id(), {"action": "yes"}),
        phone.change("answer", new_id(), {"response_id": new_id(), "checkpoint_id": "HZ-01"}),
        phone.change("response", new_id(), {"role": "x"}, base_rev=3),
    ])
    assert [r["error"]["code"] for r in body["results"]] == [
        "missing_fields", "not_found", "not_found"]


def test_immutable_fields_cannot_change(phone):
    assessment_id, response_id, changes = phone.round_changes(n_answers=0)
    other_assessment, _, more = phone.round_changes(n_answers=0)
    phone.sync(changes + more)
    body = phone.sync([phone.change("response", response_id,
                                    {"assessment_id": other_assessment}, base_rev=1)])
    assert body["results"][0]["error"]["code"] == "immutable_field"


def test_scope_rule_other_facility_is_invisible_and_unwritable(client, make_facility, make_token):
    a_facility = make_facility("A clinic")
    b_facility = make_facility("B clinic")
    a = Phone(client, a_facility, make_token(a_facility))
    b = Phone(client, b_facility, make_token(b_facility))
    assessment_id, response_id, changes = a.round_changes(n_answers=2)
    a.sync(changes)
    # B sees nothing of A's facility...
    assert b.sync()["changes"] == []
    # ...cannot create an assessment for A's facility, nor write into A's records.
    body = b.sync([
        b.change("assessment", new_id(), {"facility_id": a_facility.id,
                                          "checklist_id": "healthwise",
                                          "checklist_version": 1}),
        b.change("response", new_id(), {"assessment_id": assessment_id}),
        b.change("response", response_id, {"role": "spy"}, base_rev=1),
    ])
    assert statuses(body) == ["rejected"] * 3
    assert [r["error"]["code"] for r in body["results"]] == [
        "out_of_scope", "not_found", "not_found"]
    assert body["changes"] == []
    record = next(c for c in a.sync()["changes"] if c["id"] == response_id)
    assert record["fields"]["role"] == "nurse"


def test_pull_pages_with_cursor(app, phone):
    app.config["SYNC_PAGE_SIZE"] = 4
    _, _, changes = phone.round_changes(n_answers=9)
    phone.sync(changes)
    seen, cursor, pages = [], None, 0
    while True:
        body = phone.sync(cursor=cursor)
        seen += [c["id"] for c in body["changes"]]
        cursor, pages = body["cursor"], pages + 1
        if not body["more"]:
            break
    assert len(seen) == len(set(seen)) == 11 and pages == 3
    assert phone.sync(cursor=cursor)["changes"] == []


def test_history_records_every_accepted_value_with_who_and_device(app, phone):
    _, response_id, changes = phone.round_changes(n_answers=0)
    phone.sync(changes)
    phone.sync([phone.change("response", response_id, {"role": "midwife"}, base_rev=1)])
    with app.app_context():
        rows = db.session.execute(select(Change.fields, Change.device_id, Change.actor)
                                  .where(Change.record_id == response_id)
                                  .order_by(Change.seq)).all()
    values = [item for r in rows for item in r.fields.items()]
    assert ("role", "nurse") in values and ("role", "midwife") in values
    assert {r.device_id for r in rows} == {phone.device_id}
    assert {r.actor for r in rows} == {"test phone"}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer hw_" + "x" * 43}])
def test_401_without_a_valid_token(client, headers):
    response = client.post("/api/v1/sync", json={"device_id": new_id()}, headers=headers)
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


def test_401_once_revoked(app, phone):
    from healthwise.devices.service import find_token, revoke

    phone.sync()
    with app.app_context():
        revoke(find_token(phone.token))
        db.session.commit()
    phone.sync(expect=401)


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (b"[1, 2]", 400),
    (b'"text"', 400),
    (b"\xff\xfe", 400),
    (b'{"changes": []}', 422),
    (b'{"device_id": "nope"}', 422),
    (b'{"device_id": "6f1c8a52-3b8e-4a3e-9a40-0c0d7b8e8c11", "cursor": "abc"}', 422),
    (b'{"device_id": "6f1c8a52-3b8e-4a3e-9a40-0c0d7b8e8c11", "changes": {}}', 422),
    (b'{"device_id": "6f1c8a52-3b8e-4a3e-9a40-0c0d7b8e8c11", "changes": [1]}', 422),
    (b'{"device_id": "6f1c8a52-3b8e-4a3e-9a40-0c0d7b8e8c11", "changes": [{"id": 1}]}', 422),
])
def test_whole_request_errors(app, phone, body, status):
    response = phone.client.post("/api/v1/sync", data=body, content_type="application/json",
                                 headers=auth(phone.token))
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] and error["message"] and "details" in error
    assert count(app, Change) == 0


def test_413_over_the_body_limit(app, phone):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = phone.client.post("/api/v1/sync", data=b"{" + b" " * 20_000 + b"}",
                                 content_type="application/json", headers=auth(phone.token))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_422_over_the_change_limit(app, phone):
    app.config["SYNC_MAX_CHANGES"] = 5
    _, _, changes = phone.round_changes(n_answers=5)
    response = phone.client.post("/api/v1/sync", json={"device_id": new_id(),
                                                      "changes": changes},
                                 headers=auth(phone.token))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_many_changes"


def test_429_when_a_token_syncs_too_often(app, phone, database_url):
    limited = new_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_SYNC="3 per minute")
    client = limited.test_client()
    codes = [client.post("/api/v1/sync", json={"device_id": new_id()},
                         headers=auth(phone.token)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    body = client.post("/api/v1/sync", json={"device_id": new_id()},
                       headers=auth(phone.token)).get_json()
    assert body["error"]["code"] == "too_many_requests"
    with limited.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("envelope", [
    {"change_id": new_id() + "\n"},
    {"id": new_id() + "\n"},
    {"base_rev": True},
    {"base_rev": -1},
    {"type": "photo"},
    {"extra": 1},
])
def test_malformed_envelopes_are_rejected_with_a_reason(app, phone, envelope):
    _, response_id, changes = phone.round_changes(n_answers=0)
    bad = {**phone.change("answer", new_id(), {"response_id": response_id,
                                               "checkpoint_id": "HZ-01"}), **envelope}
    body = phone.client.post("/api/v1/sync", json={"device_id": phone.device_id,
                                                   "changes": changes + [bad]},
                             headers=auth(phone.token))
    if "change_id" in envelope:  # a result cannot be reported under an invalid change_id
        assert body.status_code == 422
        return
    result = body.get_json()["results"][-1]
    assert result["status"] == "rejected" and result["error"]["code"] == "invalid"
    assert result["error"]["message"]
    assert count(app, Answer) == 0


def test_phone_up_to_date_gets_only_what_others_changed(phone, client, make_token):
    _, response_id, changes = phone.round_changes(n_answers=2)
    first = phone.sync(changes)
    assert first["changes"] == []
    other = Phone(client, phone.facility, make_token(phone.facility))
    other.sync([other.change("response", response_id, {"role": "midwife"}, base_rev=1)])
    answer_id = changes[-1]["id"]
    body = phone.sync([phone.change("answer", answer_id, {"remark": "leaks"}, base_rev=1)],
                      cursor=first["cursor"])
    assert statuses(body) == ["applied"]
    assert [(c["id"], c["fields"]["role"]) for c in body["changes"]] == [(response_id,
                                                                         "midwife")]
    assert phone.sync(cursor=body["cursor"])["changes"] == []


def test_last_seen_is_kept_to_the_minute_without_a_write_per_pull(app, phone):
    from healthwise.devices.service import find_token

    def last_seen():
        with app.app_context():
            return find_token(phone.token).last_seen_at

    phone.sync()
    first = last_seen()
    assert first is not None
    phone.sync()
    assert last_seen() == first
