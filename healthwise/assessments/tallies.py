"""Round tallies: each round's answers counted by checkpoint, kept up to date as they change.

A district overview shows the figures of hundreds of rounds at once; counting their
answers on every view scans a few hundred thousand rows. Instead each write of answers
(a sync batch, :class:`~healthwise.assessments.rules.Batch`, and the synthetic data)
adds the difference it makes to the rounds' :class:`RoundTally` rows. Writers hold the
writer lock (:func:`~healthwise.assessments.store.lock_clock`), so reading a round's row
and writing it back never races another writer. :func:`recount` rebuilds rows from the
answers: the migration that adds the table, ``healthwise districts recount`` and the
tests that compare the two.

Answers are never deleted and their round and checkpoint never change, so an answer's
old and new ``action`` and ``priority`` are all a write needs to know.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Text, and_, bindparam, case, cast, delete, func, insert, select, update

from healthwise.assessments.models import Answer, Assessment, RoundTally
from healthwise.assessments.schemas import ACTIONS
from healthwise.assessments.store import chunks
from healthwise.extensions import db

#: What an answer that counts nowhere adds: ``[answered, action, priority, in_place]``.
NOTHING = (0, 0, 0, 0)

#: Per round: answer records added, and checkpoint id -> the four counts.
Tallies = dict[str, tuple[int, dict[str, list[int]]]]


def contribution(action: str | None, priority: Any) -> tuple[int, int, int, int]:
    """Return what one answer adds to its checkpoint's ``[answered, action, priority,
    in_place]``: only yes, no and n/a are answers, and a priority mark counts only next
    to a proposal for action (as :func:`healthwise.districts.disclosure.disclose` counts).
    """
    if action not in ACTIONS:
        return NOTHING
    yes = action == "yes"
    return (1, int(yes), int(yes and bool(priority)), int(action == "no"))


class Changes:
    """The difference a batch of answer writes makes to its rounds' tallies."""

    def __init__(self):
        self.rounds: Tallies = {}

    def add(self, assessment_id: str, checkpoint_id: str,
            before: tuple[str | None, Any] | None, after: tuple[str | None, Any]) -> None:
        """Note one answer's write.

        :param before: the answer's ``(action, priority)`` before the batch, None for an
            answer the batch creates.
        :param after: its ``(action, priority)`` now.
        """
        old = NOTHING if before is None else contribution(*before)
        new = contribution(*after)
        if before is not None and old == new:
            return
        added, counts = self.rounds.get(assessment_id, (0, {}))
        tally = counts.setdefault(checkpoint_id, [0, 0, 0, 0])
        for i in range(4):
            tally[i] += new[i] - old[i]
        self.rounds[assessment_id] = (added + (before is None), counts)

    def write(self) -> None:
        """Add the differences to the rounds' rows, a statement per kind (flush only).

        The caller holds the writer lock, and the rounds' assessments are written.
        """
        if not self.rounds:
            return
        table = RoundTally.__table__
        ids = sorted(self.rounds)
        current: dict[str, tuple[int, dict]] = {}
        for chunk in chunks(ids, 500):
            current.update((row.assessment_id, (row.answers, row.counts)) for row in
                           db.session.execute(select(table.c.assessment_id, table.c.answers,
                                                     table.c.counts)
                                              .where(table.c.assessment_id.in_(chunk))))
        created, changed = [], []
        for assessment_id in ids:
            added, difference = self.rounds[assessment_id]
            answers, counts = current.get(assessment_id, (0, {}))
            row = {"assessment_id": assessment_id, "answers": answers + added,
                   "counts": merged(counts, difference)}
            (changed if assessment_id in current else created).append(row)
        if created:
            db.session.execute(insert(table), created)
        if changed:
            db.session.execute(
                update(table).where(table.c.assessment_id == bindparam("round"))
                .values(answers=bindparam("answers"), counts=bindparam("counts")),
                [{"round": r["assessment_id"], "answers": r["answers"], "counts": r["counts"]}
                 for r in changed])


def merged(counts: Mapping[str, list[int]], difference: Mapping[str, list[int]]
           ) -> dict[str, list[int]]:
    """Return ``counts`` plus ``difference``, checkpoint by checkpoint, without zeros."""
    result = {key: list(value) for key, value in counts.items()}
    for checkpoint_id, change in difference.items():
        tally = result.setdefault(checkpoint_id, [0, 0, 0, 0])
        for i in range(4):
            tally[i] += change[i]
        if not any(tally):
            del result[checkpoint_id]
    return result


def counting_query(answers):
    """Return the query that counts answers by round and checkpoint, as the tallies do.

    :param answers: the answers table (the migration passes its own description of it).
    :returns: rows of ``(assessment_id, checkpoint_id, records, answered, action,
        priority, in_place)``.
    """
    action = answers.c.action
    yes = action == "yes"

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    return (select(answers.c.assessment_id, answers.c.checkpoint_id, func.count(),
                   count(action.in_(ACTIONS)), count(yes),
                   count(and_(yes, answers.c.priority.is_(True))), count(action == "no"))
            .group_by(answers.c.assessment_id, answers.c.checkpoint_id))


def fold(rows: Iterable[tuple]) -> Tallies:
    """Return the tallies of the rows :func:`counting_query` gives (pure)."""
    found: Tallies = {}
    for assessment_id, checkpoint_id, records, *tally in rows:
        answers, counts = found.get(assessment_id, (0, {}))
        tally = [int(n) for n in tally]
        if any(tally):
            counts[checkpoint_id] = tally
        found[assessment_id] = (answers + int(records), counts)
    return found


def recount(facility_ids: Iterable[int] | None = None) -> int:
    """Rebuild the tallies of some facilities' rounds from their answers (flush only).

    The caller takes the writer lock first (a sync must not write in between) and
    commits.

    :param facility_ids: the facilities whose rounds to count again; None for all.
    :returns: how many rounds have answers counted.
    """
    table, answers = RoundTally.__table__, Answer.__table__
    rounds = Assessment.__table__
    query = counting_query(answers)
    if facility_ids is None:
        db.session.execute(delete(table))
        return _store(fold(db.session.execute(query)))
    counted = 0
    for chunk in chunks(sorted(set(facility_ids)), 200):
        db.session.execute(delete(table).where(table.c.assessment_id.in_(
            select(rounds.c.id).where(rounds.c.facility_id.in_(chunk)))))
        counted += _store(fold(db.session.execute(
            query.where(answers.c.facility_id.in_(chunk)))))
    return counted


def _store(found: Tallies) -> int:
    rows = [{"assessment_id": assessment_id, "answers": answers, "counts": counts}
            for assessment_id, (answers, counts) in found.items()]
    for chunk in chunks(rows, 5000):
        db.session.execute(insert(RoundTally.__table__), chunk)
    return len(rows)


def read(assessment_ids: Iterable[str]) -> dict[str, Mapping[str, tuple[int, ...]]]:
    """Return the counts of some rounds by checkpoint (rounds without answers absent).

    The counts are read-only and shared: a round whose tally has not changed since the
    last read gets the very same mapping, so what is worked out from it can be kept
    (the district overview keeps its rule-of-five figures so).

    :returns: round id -> checkpoint id -> ``(answered, action, priority, in_place)``.
    """
    table = RoundTally.__table__
    found = {}
    # Core rows on the session's connection: a district reads hundreds of rounds at once;
    # the stored text, decoded once per distinct text.
    connection = db.session.connection()
    for chunk in chunks(sorted(set(assessment_ids)), 500):
        for assessment_id, text in connection.execute(
                select(table.c.assessment_id, cast(table.c.counts, Text))
                .where(table.c.assessment_id.in_(chunk))).all():
            counts = _decoded(text) if text else None
            if counts:
                found[assessment_id] = counts
    return found


@lru_cache(maxsize=1024)
def _decoded(text: str) -> Mapping[str, tuple[int, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in json.loads(text).items()})
