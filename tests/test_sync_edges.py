"""Sync at the edges (issue 9, cases 3 to 7, 9, 10, 12 and 14): values the databases
cannot store, lost replies, merge keys a phone may not choose, cursors from another
history, one id for two types, the limits the phone reads, removed rounds, the cap
on action items and strict types. Each runs on SQLite and on PostgreSQL."""

import json

import pytest

from healthwise.assessments import merge
from healthwise.assessments.models import ActionItem, Change
from healthwise.assessments.schemas import (
    MAX_ACTION_ITEMS_PER_ROUND,
    MAX_DEVICES_PER_TOKEN,
    MAX_INT,
)
from tests.conftest import Phone, count, fetch, new_id


def statuses(body):
    return [r["status"] for r in body["results"]]


def raw_sync(phone, text: str, expect=200):
    """Send a sync body written by hand (JSON escapes a dict cannot hold)."""
    response = phone.client.post("/api/v1/sync", data=text, content_type="application/json",
                                 headers={"Authorization": f"Bearer {phone.token}"})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def round_(phone):
    """A round with one participant's response and an action item, synced."""
    assessment_id, response_id, changes = phone.round_changes(n_answers=1)
    item_id = new_id()
    changes.append(phone.change("action_item", item_id, {"assessment_id": assessment_id,
                                                         "action": "Fix the lock"}))
    body = phone.sync(changes)
    assert set(statuses(body)) == {"applied"}
    phone.cursor = body["cursor"]
    return {"assessment": assessment_id, "response": response_id, "item": item_id,
            "answer": changes[2]["id"]}


# Case 3: one bad value never takes the batch down ------------------------------------------


@pytest.mark.parametrize("bad", [
    r'"\ud800"',  # a lone surrogate: SQLite's driver cannot encode it
    r'"ok\u0000"',  # a NUL byte: PostgreSQL refuses it in text
    r'"\udfff trailing"',
])
def test_an_unstorable_text_is_rejected_alone_and_the_rest_applied(app, phone, round_, bad):
    good = phone.change("response", round_["response"], {"role": "midwife"}, base_rev=1)
    text = json.dumps({"device_id": phone.device_id, "changes": [
        {"change_id": new_id(), "type": "action_item", "id": round_["item"], "base_rev": 1,
         "fields": {"responsible": "__BAD__"}}, good]}).replace('"__BAD__"', bad)
    body = raw_sync(phone, text)
    assert statuses(body) == ["rejected", "applied"]
    error = body["results"][0]["error"]
    assert error["code"] == "invalid" and "cannot be stored" in error["message"]
    assert fetch(app, ActionItem, round_["item"]).responsible == ""


@pytest.mark.parametrize("number", ["9" * 4300, str(MAX_INT + 1), "1e3", "2.0"])
def test_a_base_rev_no_column_holds_is_rejected_alone(phone, round_, number):
    good = phone.change("response", round_["response"], {"role": "midwife"}, base_rev=1)
    text = json.dumps({"device_id": phone.device_id, "changes": [
        {"change_id": new_id(), "type": "action_item", "id": round_["item"],
         "base_rev": "__REV__", "fields": {"responsible": "Ana"}}, good]}) \
        .replace('"__REV__"', number)
    body = raw_sync(phone, text)
    assert statuses(body) == ["rejected", "applied"]
    assert body["results"][0]["error"]["code"] == "invalid"


@pytest.mark.parametrize("fields", [
    {"facility_id": MAX_INT + 1, "checklist_id": "healthwise", "checklist_version": 1},
    {"facility_id": 1, "checklist_id": "healthwise", "checklist_version": 10**12},
    {"facility_id": 1, "checklist_id": "health\x00wise", "checklist_version": 1},
])
def test_a_number_or_id_past_a_column_is_rejected(phone, fields):
    body = phone.sync([phone.change("assessment", new_id(), fields)])
    assert statuses(body) == ["rejected"]


# Case 4: a lost reply never hides another phone's edit -------------------------------------


def test_a_lost_reply_then_an_edit_still_pulls_the_other_phones_edit(phone, round_, client,
                                                                       make_token):
    other = Phone(client, phone.facility, make_token(phone.facility))
    other.sync()
    item = phone.change("action_item", new_id(), {"assessment_id": round_["assessment"],
                                                  "action": "Buy gloves"})
    phone.sync([item], cursor=phone.cursor)  # applied; the reply never reaches the phone
    pulled = other.sync()["changes"]
    assert item["id"] in {c["id"] for c in pulled}
    other.sync([other.change("action_item", item["id"], {"responsible": "Ben"}, base_rev=1)])
    edit = phone.change("action_item", item["id"], {"status": "in_progress"})  # base_rev null
    body = phone.sync([item, edit], cursor=phone.cursor)
    assert statuses(body) == ["duplicate", "applied"]
    back = {c["id"]: c for c in body["changes"]}[item["id"]]
    assert back["fields"]["responsible"] == "Ben" and back["fields"]["status"] == "in_progress"
    assert back["rev"] == body["results"][1]["rev"]


def test_a_duplicate_sends_the_record_back_even_behind_the_cursor(phone, round_, client,
                                                                  make_token):
    """The reply to a push is lost, a later pull moves the cursor on, another phone edits,
    the phone pulls that too, then resends: it must not keep its own older picture."""
    edit = phone.change("action_item", round_["item"], {"responsible": "Ana"}, base_rev=1)
    phone.sync([edit], cursor=phone.cursor)  # lost reply
    other = Phone(client, phone.facility, make_token(phone.facility))
    other.sync()
    other.sync([other.change("action_item", round_["item"], {"responsible": "Ben"},
                             base_rev=2)])
    cursor = phone.sync(cursor=phone.cursor)["cursor"]  # a pull-only sync gets it all
    body = phone.sync([edit], cursor=cursor)
    assert statuses(body) == ["duplicate"]
    assert [(c["id"], c["fields"]["responsible"]) for c in body["changes"]] == [
        (round_["item"], "Ben")]


def test_a_phone_up_to_date_gets_nothing_back_for_its_own_edits(phone, round_):
    """The common case stays cheap: edits on the latest revision come back as results only."""
    first = phone.change("response", round_["response"], {"role": "midwife"}, base_rev=1)
    second = phone.change("response", round_["response"], {"completed": True}, base_rev=1)
    body = phone.sync([first, second], cursor=phone.cursor)
    assert statuses(body) == ["applied", "applied"]
    assert body["changes"] == []


# Case 5: merge keys the phone does not control ---------------------------------------------


def test_a_base_rev_above_the_revision_is_rejected_and_pins_nothing(app, phone, round_,
                                                                   client, make_token):
    body = phone.sync([phone.change("action_item", round_["item"], {"status": "done"},
                                    base_rev=999)], cursor=phone.cursor)
    assert statuses(body) == ["rejected"]
    assert body["results"][0]["error"]["code"] == "bad_base_rev"
    # The record comes back, so a phone from another history (a restored server) learns
    # the revision to make its change on again.
    assert [(c["id"], c["rev"]) for c in body["changes"]] == [(round_["item"], 1)]
    other = Phone(client, phone.facility, make_token(phone.facility))
    honest = other.sync([other.change("action_item", round_["item"], {"status": "in_progress"},
                                      base_rev=1)])
    assert statuses(honest) == ["applied"]
    assert fetch(app, ActionItem, round_["item"]).status == "in_progress"


@pytest.mark.parametrize("greedy", ["ffffffff-ffff-4fff-bfff-ffffffffffff",
                                    "00000000-0000-4000-8000-000000000000"])
def test_the_tie_break_is_the_token_not_the_device_id_sent(app, phone, round_, client,
                                                           make_token, greedy):
    first = Phone(client, phone.facility, make_token(phone.facility),
                  device_id="77777777-0000-4000-8000-000000000000")
    second = Phone(client, phone.facility, make_token(phone.facility), device_id=greedy)
    second.sync([second.change("action_item", round_["item"], {"responsible": "second"},
                               base_rev=1)])
    first.sync([first.change("action_item", round_["item"], {"responsible": "first"},
                             base_rev=1)])
    record = fetch(app, ActionItem, round_["item"])
    # The later token wins whatever id its phone claims; the other value is kept.
    assert record.responsible == "second"
    assert [(c["value"], c["device_id"]) for c in record.conflicts] == [
        ("first", first.device_id)]


def test_a_token_syncs_from_a_bounded_number_of_phones(phone):
    for _ in range(MAX_DEVICES_PER_TOKEN):
        phone.device_id = new_id()
        phone.sync()
    phone.sync()  # a phone it knows: fine
    phone.device_id = new_id()
    body = phone.sync(expect=403)
    assert body["error"]["code"] == "too_many_devices"


def test_open_conflicts_per_field_are_bounded_and_history_keeps_all(app, phone, round_,
                                                                   client, make_token):
    phones = [Phone(client, phone.facility, make_token(phone.facility)) for _ in range(15)]
    for number, other in enumerate(phones):
        other.sync([other.change("action_item", round_["item"], {"responsible": f"p{number}"},
                                 base_rev=1)])
    record = fetch(app, ActionItem, round_["item"])
    assert len(record.conflicts) == merge.MAX_WRITERS - 1
    assert record.responsible == "p14"  # the greatest token always stays, and wins
    assert count(app, Change, Change.record_id == round_["item"]) == 16


# Case 6: cursors the server never issued ---------------------------------------------------


def test_a_cursor_ahead_of_the_clock_is_refused_and_null_pulls_everything(phone, round_):
    clock = int(phone.cursor.split(".")[0])
    for cursor in [str(clock + 1), f"{clock + 50}.{'0' * 8}"]:
        body = phone.sync(cursor=cursor, expect=422)
        assert body["error"]["code"] == "bad_cursor"
    assert len(phone.sync()["changes"]) == 4


def test_a_cursor_from_another_history_is_refused(app, phone, round_, client, make_token,
                                                   make_facility):
    """After a restore the clock may pass the phone's cursor again, with other changes."""
    from tests.conftest import _empty_tables

    cursor = phone.cursor
    with app.app_context():
        _empty_tables()  # the database restored from a backup older than the phone's cursor
    facility = make_facility("Restored")
    again = Phone(client, facility, make_token(facility))
    _, _, changes = again.round_changes(n_answers=3)
    again.sync(changes)
    assert int(again.sync()["cursor"].split(".")[0]) >= int(cursor.split(".")[0])
    again.device_id = new_id()
    body = again.sync(cursor=cursor, expect=422)
    assert body["error"]["code"] == "bad_cursor"


def test_a_bare_number_cursor_of_an_older_phone_still_works(phone, round_):
    clock = phone.cursor.split(".")[0]
    assert phone.sync(cursor=clock)["changes"] == []


# Case 7: one id, one type ------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ["answer", "action_item"])
def test_an_id_used_by_another_type_is_rejected(phone, round_, record_type):
    fields = ({"response_id": round_["response"], "checkpoint_id": "HZ-02"}
              if record_type == "answer" else {"assessment_id": round_["assessment"]})
    body = phone.sync([phone.change(record_type, round_["response"], fields)])
    assert statuses(body) == ["rejected"]
    assert body["results"][0]["error"]["code"] == "id_taken"


def test_one_id_for_two_types_in_one_batch_keeps_the_first(phone, round_):
    shared = new_id()
    body = phone.sync([
        phone.change("action_item", shared, {"assessment_id": round_["assessment"]}),
        phone.change("answer", shared, {"response_id": round_["response"],
                                        "checkpoint_id": "HZ-03"})])
    assert statuses(body) == ["applied", "rejected"]


# Case 9: one set of limits, read by the phone ----------------------------------------------


def test_the_limits_the_phone_reads_are_the_ones_the_server_enforces(phone, round_, client):
    limits = client.get("/api/v1/limits").get_json()
    assert limits["fields"]["action_item"]["action"] == 1000
    targets = {"assessment": round_["assessment"], "response": round_["response"],
               "answer": round_["answer"], "action_item": round_["item"]}
    for record_type, fields in limits["fields"].items():
        for name, longest in fields.items():
            if name.endswith("_id"):
                continue
            fits = phone.change(record_type, targets[record_type], {name: "x" * longest},
                                base_rev=1)
            over = phone.change(record_type, targets[record_type],
                                {name: "x" * (longest + 1)}, base_rev=1)
            assert statuses(phone.sync([fits, over])) != ["rejected", "rejected"]
            assert statuses(phone.sync([over]))[0] == "rejected", (record_type, name)
    assert limits["action_items_per_round"] == MAX_ACTION_ITEMS_PER_ROUND


# Case 10: a mistaken round can be removed --------------------------------------------------


def test_a_round_can_be_removed_and_every_phone_hears_of_it(phone, round_, client, make_token):
    body = phone.sync([phone.change("assessment", round_["assessment"], {"removed": True},
                                    base_rev=1)])
    assert statuses(body) == ["applied"]
    other = Phone(client, phone.facility, make_token(phone.facility))
    pulled = {c["id"]: c for c in other.sync()["changes"]}
    assert pulled[round_["assessment"]]["fields"]["removed"] is True


# Case 12: action items per round are capped ------------------------------------------------


def test_action_items_per_round_are_capped(app, phone, round_):
    items = [phone.change("action_item", new_id(), {"assessment_id": round_["assessment"],
                                                    "action": f"item {n}"})
             for n in range(MAX_ACTION_ITEMS_PER_ROUND)]  # one exists already
    body = phone.sync(items)
    assert statuses(body) == ["applied"] * (MAX_ACTION_ITEMS_PER_ROUND - 1) + ["rejected"]
    assert body["results"][-1]["error"]["code"] == "too_many_items"
    late = phone.sync([phone.change("action_item", new_id(),
                                    {"assessment_id": round_["assessment"]})])
    assert statuses(late) == ["rejected"]
    # Editing an existing item is still fine at the cap.
    edit = phone.sync([phone.change("action_item", round_["item"], {"status": "done"},
                                    base_rev=1)])
    assert statuses(edit) == ["applied"]
    assert count(app, ActionItem) == MAX_ACTION_ITEMS_PER_ROUND


# Case 14: strict types ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", 1, 0, "yes", None])
@pytest.mark.parametrize("record, name", [("answer", "priority"), ("response", "completed"),
                                          ("assessment", "removed")])
def test_booleans_are_true_or_false_only(phone, round_, record, name, value):
    body = phone.sync([phone.change(record, round_[record], {name: value}, base_rev=1)])
    assert statuses(body) == ["rejected"]


@pytest.mark.parametrize("name", ["Ana\u202e", "Ana\nBen", "\u2066x"])
def test_names_in_records_refuse_control_and_bidi_characters(phone, round_, name):
    body = phone.sync([phone.change("response", round_["response"], {"participant": name},
                                    base_rev=1)])
    assert statuses(body) == ["rejected"]
    assert statuses(phone.sync([phone.change("response", round_["response"],
                                             {"participant": ""}, base_rev=1)])) == ["applied"]
