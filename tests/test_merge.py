"""The merge of field writes (``healthwise.assessments.merge``), with no Flask at all.

A field is a register; its clock entry keeps the winner and the latest write of each
other writer that the winner did not see, at most ``MAX_WRITERS`` of them. The sync
protocol's promises (idempotent, order-free, nothing lost) rest on the rules tested
here. A write made with no ``landed`` revision lands at its order, the earliest it can:
any write of a later order saw it (how clocks kept before landed revisions read).
"""

import copy
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
from tests.histories import (
    CREATED,
    SETUP,
    SETUP_CHANGE_ID,
    expected,
    histories,
    play,
    reordered,
    saw,
)

AT = "2026-12-01T08:00:00Z"


def write(writer="b", value="x", order=1, seq=1, at=AT, landed=None):
    """Return a write; its change id and device id name the writer and seq."""
    return Write(order, writer, seq, value, f"change-{writer}-{seq}", at, f"device-{writer}",
                 landed)


def fold(writes, entry=None):
    """Apply ``writes`` in turn; return the final entry."""
    return reduce(lambda current, w: apply_write(current, w)[0], writes, entry)


def record(w: Write) -> list:
    return [w.seq, w.value, w.change_id, w.at, w.device_id,
            w.order if w.landed is None else w.landed, w.order]


# One write, and the same write again ------------------------------------------------------


def test_a_first_write_makes_the_entry():
    first = write("b", "yes", order=1, seq=7)
    entry, outcome = apply_write(None, first)
    assert outcome == "new"
    assert entry == {"o": 1, "w": {"b": [7, "yes", "change-b-7", AT, "device-b", 1, 1]}}
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
    assert after == {"o": 1, "w": {"b": [2, "no", "change-b-2", AT, "device-b", 1, 1]}}
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


# What each phone had seen: the record's revision a write landed at ------------------------


def reviewers_case(a_first: bool) -> tuple[Write, Write, Write]:
    """Phone A edits on revision 3 (order 4); B pulls revision 5 and edits (order 6).

    Neither saw the other: A's write lands after B pulled. Return the creator's write
    (revision 1) and A's and B's, landed in the arrival order given.
    """
    created = write("c", "", order=1, seq=1, landed=1)
    a = write("a", "Amina", order=4, seq=10 if a_first else 11, landed=6 if a_first else 7)
    b = write("b", "Joseph", order=6, seq=11 if a_first else 10, landed=7 if a_first else 6)
    return created, a, b


@pytest.mark.parametrize("a_first", [True, False])
def test_a_write_the_winner_never_saw_stays_open_whatever_arrives_first(a_first):
    created, a, b = reviewers_case(a_first)
    entry = fold([created])
    outcomes = {}
    for w in ([a, b] if a_first else [b, a]):
        entry, outcomes[w.writer] = apply_write(entry, w)
    # The winner is the old rule's (made on newer state)...
    assert value_of(entry) == "Joseph"
    # ...and A's value, which B never saw, is to discuss.
    assert [(c["value"], c["change_id"]) for c in open_conflicts("responsible", entry)] == [
        ("Amina", a.change_id)]
    assert involved({"responsible": entry}, ["responsible"], "a")
    assert involved({"responsible": entry}, ["responsible"], "b")
    # B replaces A's value (new); A arriving after B is made on older state (superseded).
    assert outcomes == ({"a": "new", "b": "new"} if a_first else {"b": "new", "a": "superseded"})
    # A change made on the current revision saw both: it wins and clears the conflict.
    settled, outcome = apply_write(entry, write("a", "Amina", order=8, seq=12, landed=8))
    assert outcome == "new" and value_of(settled) == "Amina"
    assert open_conflicts("responsible", settled) == []
    assert list(settled["w"]) == ["a"]


def test_a_write_the_winner_saw_is_settled():
    a = write("a", "Amina", order=4, seq=10, landed=4)  # landed before B pulled revision 5
    b = write("b", "Joseph", order=6, seq=11, landed=6)
    for arrival in ([a, b], [b, a]):
        entry = fold(arrival[:1])
        entry, _ = apply_write(entry, arrival[1])
        if arrival[0] is b:  # replayed after B: B saw it all the same
            assert entry == fold([b])
        assert value_of(entry) == "Joseph"
        assert open_conflicts("responsible", entry) == []
        assert not involved({"responsible": entry}, ["responsible"], "b")


def test_a_late_write_on_older_state_is_superseded_and_open_unless_it_agrees():
    winner_write = write("b", "Joseph", order=6, seq=1, landed=6)
    late, outcome = apply_write(fold([winner_write]), write("a", "Amina", order=2, seq=2,
                                                              landed=7))
    assert outcome == "superseded"
    assert value_of(late) == "Joseph"
    assert [c["value"] for c in open_conflicts("responsible", late)] == ["Amina"]
    agreeing, _ = apply_write(fold([winner_write]), write("a", "Joseph", order=2, seq=2,
                                                           landed=7))
    assert open_conflicts("responsible", agreeing) == []
    # Kept all the same: a newer write the late one did not see could disagree with it.
    newer, _ = apply_write(agreeing, write("c", "Chloé", order=7, seq=3, landed=8))
    assert [c["value"] for c in open_conflicts("responsible", newer)] == ["Joseph"]


def test_a_phones_own_earlier_write_is_never_its_conflict():
    entry = fold([write("a", "first", order=2, seq=1, landed=5),
                  write("a", "second", order=2, seq=2, landed=6)])
    assert value_of(entry) == "second" and open_conflicts("responsible", entry) == []
    assert list(entry["w"]) == ["a"]


def test_a_clock_kept_before_landed_revisions_reads_as_before():
    old = {"o": 2, "w": {"a": [1, "no", "change-a-1", AT, "device-a"],
                         "b": [2, "yes", "change-b-2", AT]}}
    assert value_of(old) == "yes"
    assert [c["device_id"] for c in open_conflicts("action", old)] == ["device-a"]
    # A later order saw the old writes (their landed revision reads as their order)...
    newer, outcome = apply_write(old, write("c", "na", order=3, seq=3, landed=9))
    assert outcome == "new" and newer == {"o": 3, "w": {"c": [3, "na", "change-c-3", AT,
                                                            "device-c", 9, 3]}}
    # ...and a late write on older state is open against the old winner.
    late, outcome = apply_write(old, write("c", "na", order=1, seq=3, landed=9))
    assert outcome == "superseded" and value_of(late) == "yes"
    assert [c["device_id"] for c in open_conflicts("action", late)] == ["device-a",
                                                                        "device-c"]
    assert late["w"]["b"] == [2, "yes", "change-b-2", AT, "b", 2, 2]


def test_max_writers_bounds_late_writes_too_and_keeps_the_winner():
    first = write("w00", "winner", order=9, seq=1, landed=9)
    late = [write(name, f"late {name}", order=n % 4 + 1, seq=n + 2, landed=n + 10)
            for n, name in enumerate(writers(MAX_WRITERS + 4)[1:])]
    entry = fold([first, *late])
    assert len(entry["w"]) == MAX_WRITERS
    assert value_of(entry) == "winner"
    kept = sorted(late, key=lambda w: (w.order, w.writer))[-(MAX_WRITERS - 1):]
    assert {c["change_id"] for c in open_conflicts("responsible", entry)} == {
        w.change_id for w in kept}


# A model of the real server: phones pull, edit offline, deliver in any interleaving ------

#: The writer (token) of each phone of tests.histories; not in the phones' order, so
#: that ties go either way.
WRITERS = {SETUP: "setup", 0: "token:0000000002", 1: "token:0000000003",
           2: "token:0000000001"}


class MergeServer:
    """The server's part of a sync for one record: its revision, the arrival counter,
    each change applied once (by change_id), every field through ``apply_write``."""

    def __init__(self):
        self.revision, self.seq, self.applied = 1, 1, {}
        self.clock = {name: apply_write(None, Write(1, WRITERS[SETUP], 1, value, SETUP_CHANGE_ID,
                                                    AT, "device-setup", 1))[0]
                      for name, value in CREATED.items()}

    def rev(self) -> int:
        return self.revision

    def send(self, phone: int, batch) -> list[tuple[str, int]]:
        results = []
        for change in batch:
            if change.change_id in self.applied:
                before = copy.deepcopy(self.clock)
                # Even merged a second time, a change's writes change nothing.
                for name, w in self.applied[change.change_id][1]:
                    assert apply_write(self.clock[name], w)[0] == before[name]
                results.append(("duplicate", self.applied[change.change_id][0]))
                continue
            self.seq += 1
            landed = self.revision + 1
            writes = [(name, Write(change.base_rev + 1, WRITERS[phone], self.seq, value,
                                   change.change_id, AT, f"device-{phone}", landed))
                      for name, value in change.fields.items()]
            for name, w in writes:
                self.clock[name] = apply_write(self.clock.get(name), w)[0]
            self.revision = landed
            self.applied[change.change_id] = (landed, writes)
            results.append(("applied", landed))
        return results


def outcome(clock: dict) -> dict:
    """Each field's value, winning change and open conflicts: what the phones are shown."""
    return {name: (value_of(entry), winner(entry)[1][2],
                   sorted((c["change_id"], c["value"], c["device_id"])
                          for c in open_conflicts(name, entry)))
            for name, entry in clock.items()}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_phones_editing_offline_keep_every_concurrent_value_open(data):
    steps = data.draw(histories())
    server = MergeServer()
    made = play(steps, server)
    by_id = {m.change_id: m for m in made}
    for name, entry in server.clock.items():
        win, open_ids = expected(made, name, WRITERS.get)
        # (1) The winner is the one the old rule picks.
        assert value_of(entry) == win.fields[name]
        assert winner(entry)[1][2] == win.change_id
        conflicts = {c["change_id"] for c in open_conflicts(name, entry)}
        # (2) Every phone's latest write that the winner did not see, nor it the winner,
        # is open unless it agrees...
        assert open_ids <= conflicts
        # (3) ...and nothing the winner saw is.
        assert not [c for c in conflicts if saw(win, by_id[c])]
        assert conflicts == open_ids
    # (4) A duplicate delivery changed nothing (checked at each one, in MergeServer.send).
    assert all(r == "duplicate" for m in made for r in m.results[1:])
    # (5) Another interleaving in which every pull sees the same changes: same outcome.
    other = MergeServer()
    again = play(reordered(steps, made, data.draw), other)
    assert {m.change_id: m.base_rev for m in again} == {m.change_id: m.base_rev
                                                         for m in made}
    assert outcome(other.clock) == outcome(server.clock)
