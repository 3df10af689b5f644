"""The merge of field writes (``healthwise.assessments.merge``), with no Flask at all.

A field is a register; its clock entry keeps the writes of the highest order, the
latest per writer, at most ``MAX_WRITERS`` of them. The sync protocol's promises
(``docs``: idempotent, order-free, nothing lost) rest on the rules tested here.
"""

from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthwise.assessments.merge import (
    MAX_WRITERS,
    Write,
    all_conflicts,
    apply_write,
    involved,
    open_conflicts,
    value_of,
    winner,
)

AT = "2026-12-01T08:00:00Z"


def write(writer="b", value="x", order=1, seq=1, at=AT):
    """Return a write; its change id and device id name the writer and seq."""
    return Write(order, writer, seq, value, f"change-{writer}-{seq}", at, f"device-{writer}")


def fold(writes, entry=None):
    """Apply ``writes`` in turn; return the final entry."""
    return reduce(lambda current, w: apply_write(current, w)[0], writes, entry)


def record(w: Write) -> list:
    return [w.seq, w.value, w.change_id, w.at, w.device_id]


# One write, and the same write again ------------------------------------------------------


def test_a_first_write_makes_the_entry():
    first = write("b", "yes", order=1, seq=7)
    entry, outcome = apply_write(None, first)
    assert outcome == "new"
    assert entry == {"o": 1, "w": {"b": [7, "yes", "change-b-7", AT, "device-b"]}}
    assert value_of(entry) == "yes"
    assert winner(entry) == ("b", record(first))
    assert open_conflicts("action", entry) == []


def test_the_same_write_twice_changes_nothing():
    first = write("b", "yes", seq=7)
    entry, _ = apply_write(None, first)
    again, outcome = apply_write(entry, first)
    assert outcome == "superseded"
    assert again == entry


def test_the_same_writes_twice_over_end_in_the_same_entry():
    writes = [write("a", "no", seq=1), write("b", "yes", seq=2), write("c", "na", seq=3)]
    assert fold(writes + writes) == fold(writes)
    assert fold(writes + writes[::-1]) == fold(writes)


# Orders: newer state beats older state -----------------------------------------------------


def test_a_write_of_a_higher_order_replaces_every_write_and_clears_conflicts():
    entry = fold([write("a", "no", seq=1), write("b", "yes", seq=2)])
    assert len(all_conflicts({"action": entry})) == 1
    newer = write("a", "na", order=2, seq=3)
    after, outcome = apply_write(entry, newer)
    assert outcome == "new"
    assert after == {"o": 2, "w": {"a": record(newer)}}
    assert value_of(after) == "na"
    assert all_conflicts({"action": after}) == []


def test_a_write_of_a_lower_order_is_superseded_whatever_its_writer():
    entry = fold([write("b", "yes", order=3, seq=1)])
    for late in (write("z", "no", order=2, seq=2), write("b", "no", order=1, seq=3)):
        after, outcome = apply_write(entry, late)
        assert outcome == "superseded"
        assert after == entry
        assert value_of(after) == "yes"


# One writer: its later edit beats its earlier one ------------------------------------------


def test_a_writers_later_edit_replaces_its_earlier_one():
    entry = fold([write("b", "yes", seq=1)])
    after, outcome = apply_write(entry, write("b", "no", seq=2))
    assert outcome == "joined"
    assert after == {"o": 1, "w": {"b": [2, "no", "change-b-2", AT, "device-b"]}}
    assert value_of(after) == "no"


def test_a_writers_earlier_edit_arriving_late_is_superseded():
    entry = fold([write("b", "no", seq=2)])
    after, outcome = apply_write(entry, write("b", "yes", seq=1))
    assert outcome == "superseded"
    assert after == entry
    assert value_of(after) == "no"


# Writers: ties broken by writer, losers kept as open conflicts -----------------------------


@pytest.mark.parametrize("arrival", [["a", "b"], ["b", "a"]])
def test_a_tie_is_won_by_the_greater_writer_whatever_arrives_first(arrival):
    writes = {"a": write("a", "first", seq=1), "b": write("b", "second", seq=2)}
    entry = None
    outcomes = []
    for name in arrival:
        entry, outcome = apply_write(entry, writes[name])
        outcomes.append(outcome)
    assert outcomes == ["new", "joined"]
    assert entry == {"o": 1, "w": {"a": record(writes["a"]), "b": record(writes["b"])}}
    assert winner(entry) == ("b", record(writes["b"]))
    assert value_of(entry) == "second"


def test_the_loser_is_recorded_as_an_open_conflict():
    entry = fold([write("b", "yes", seq=2), write("a", "no", seq=1, at="2026-12-01T07:00:00Z")])
    assert open_conflicts("action", entry) == [{
        "field": "action", "value": "no", "device_id": "device-a", "change_id": "change-a-1",
        "at": "2026-12-01T07:00:00Z"}]


def test_writers_agreeing_on_a_value_are_no_conflict():
    entry = fold([write("a", "yes", seq=1), write("b", "yes", seq=2), write("c", "no", seq=3)])
    assert value_of(entry) == "no"
    assert [c["device_id"] for c in open_conflicts("action", entry)] == ["device-a", "device-b"]
    agreeing = fold([write("a", "yes", seq=1), write("b", "yes", seq=2)])
    assert open_conflicts("action", agreeing) == []


def test_all_conflicts_of_a_record_are_ordered_by_field_then_writer():
    clock = {
        "remark": fold([write("c", "late", seq=1), write("a", "early", seq=2),
                        write("d", "last", seq=3)]),
        "action": fold([write("b", "yes", seq=4), write("a", "no", seq=5)]),
        "priority": fold([write("a", True, seq=6)]),
    }
    assert [(c["field"], c["value"], c["device_id"]) for c in all_conflicts(clock)] == [
        ("action", "no", "device-a"),
        ("remark", "early", "device-a"),
        ("remark", "late", "device-c"),
    ]


def test_a_clock_written_before_writers_were_tokens_names_the_device_by_its_key():
    entry = {"o": 1, "w": {"device-1": [1, "no", "change-1", AT],
                           "device-2": [2, "yes", "change-2", AT]}}
    assert value_of(entry) == "yes"
    assert [c["device_id"] for c in open_conflicts("action", entry)] == ["device-1"]


def test_involved_names_the_writers_of_an_open_conflict_only():
    clock = {"action": fold([write("a", "no", seq=1), write("b", "yes", seq=2),
                             write("c", "yes", seq=3)]),
             "remark": fold([write("a", "alone", seq=4)])}
    assert involved(clock, ["action"], "c")  # the winner, against a's "no"
    assert involved(clock, ["action"], "a")  # a loser with another value
    assert not involved(clock, ["action"], "b")  # a loser with the winner's value
    assert not involved(clock, ["action"], "z")  # not a writer of the field
    assert not involved(clock, ["remark"], "a")  # the only writer
    assert not involved(clock, ["missing"], "a")
    agreed = {"action": fold([write("a", "yes", seq=1), write("b", "yes", seq=2)])}
    assert not involved(agreed, ["action"], "b")


# More writers than MAX_WRITERS -------------------------------------------------------------


def writers(count: int) -> list[str]:
    return [f"w{n:02d}" for n in range(count)]


def test_more_than_max_writers_keeps_the_greatest_ones_and_the_winner():
    names = writers(MAX_WRITERS + 5)
    entry = fold([write(name, f"value {name}", seq=n) for n, name in enumerate(names)])
    assert sorted(entry["w"]) == names[-MAX_WRITERS:]
    assert value_of(entry) == f"value {names[-1]}"
    assert len(open_conflicts("responsible", entry)) == MAX_WRITERS - 1


def test_past_max_writers_a_lesser_writer_is_superseded_and_a_greater_one_joins():
    names = writers(MAX_WRITERS + 2)
    full = fold([write(name, name, seq=n) for n, name in enumerate(names[1:-1])])
    assert len(full["w"]) == MAX_WRITERS
    lesser, outcome = apply_write(full, write(names[0], "lesser", seq=100))
    assert outcome == "superseded"
    assert lesser == full
    greater, outcome = apply_write(full, write(names[-1], "greater", seq=101))
    assert outcome == "joined"
    assert sorted(greater["w"]) == names[2:]
    assert value_of(greater) == "greater"


def test_past_max_writers_a_kept_writer_still_replaces_its_own_write():
    names = writers(MAX_WRITERS)
    full = fold([write(name, name, seq=n) for n, name in enumerate(names)])
    after, outcome = apply_write(full, write(names[0], "edited", seq=50))
    assert outcome == "joined"
    assert sorted(after["w"]) == names
    assert after["w"][names[0]][1] == "edited"


# The state is a function of the set of writes ----------------------------------------------


def expected_entry(writes: list[Write]) -> dict:
    """The entry the rules describe, computed from the set of writes at once."""
    top = max(w.order for w in writes)
    latest: dict[str, Write] = {}
    for w in writes:
        if w.order == top and (w.writer not in latest or w.seq > latest[w.writer].seq):
            latest[w.writer] = w
    kept = sorted(latest)[-MAX_WRITERS:]
    return {"o": top, "w": {name: record(latest[name]) for name in kept}}


@st.composite
def write_sets(draw):
    """Writes of up to MAX_WRITERS + 3 writers on orders 1 to 3, each with its own seq."""
    names = writers(MAX_WRITERS + 3)
    count = draw(st.integers(min_value=1, max_value=40))
    seqs = draw(st.lists(st.integers(min_value=1, max_value=10_000), min_size=count,
                         max_size=count, unique=True))
    return [write(draw(st.sampled_from(names)), draw(st.sampled_from(["yes", "no", None])),
                  order=draw(st.integers(min_value=1, max_value=3)), seq=seq)
            for seq in seqs]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_arrival_order_ends_in_the_same_entry_and_conflicts(data):
    writes = data.draw(write_sets())
    arrival = data.draw(st.permutations(writes))
    repeated = data.draw(st.lists(st.sampled_from(writes), max_size=10))
    entry = fold(writes)
    assert entry == expected_entry(writes)
    assert fold(arrival) == entry
    assert fold(arrival + repeated) == entry
    assert open_conflicts("action", fold(arrival)) == open_conflicts("action", entry)
