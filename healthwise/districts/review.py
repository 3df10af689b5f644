"""A district manager's review of a round's plan: a comment, and whether it is reviewed.

A review is a synced record (``review``, read-only on phones) written through
:func:`healthwise.assessments.service.write_record`, so the committee's phones pull it
with everything else. A round has one review, whose id is made from the round's: every
manager who reviews the round edits the same record, each on the revision they saw (a
stale one is merged by the sync rules). Services only flush: the view commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from healthwise.assessments.models import Review
from healthwise.assessments.service import write_record
from healthwise.extensions import db

#: The namespace of review ids (one review per round: its id is made from the round's).
REVIEWS = uuid.UUID("c1a7e0d4-5b2f-4e8a-9d36-2f0b7c9e4a11")


@dataclass(frozen=True)
class ReviewLine:
    """A round's review as the pages and the managers' API show it."""

    id: str
    rev: int
    comment: str
    reviewed: bool
    reviewer: str
    reviewed_on: str | None
    #: The fields two managers saved at once, each on what they saw: a save settles them.
    conflicts: frozenset[str] = frozenset()

    @property
    def day(self) -> date | None:
        """Return the date it was saved on, to be worded in the reader's language."""
        return date.fromisoformat(self.reviewed_on) if self.reviewed_on else None


def review_id(assessment_id: str) -> str:
    """Return the id of a round's review (the same for every manager and every save)."""
    return str(uuid.uuid5(REVIEWS, assessment_id.lower()))


def reviews_of(assessment_ids: list[str]) -> dict[str, ReviewLine]:
    """Return the reviews of these rounds, by round id (rounds without one are left out).

    :param assessment_ids: the rounds (the caller has checked the reader may see them).
    """
    table = Review.__table__
    found = {}
    for start in range(0, len(assessment_ids), 500):
        for row in db.session.execute(
                select(table).where(table.c.assessment_id.in_(assessment_ids[start:start + 500]))
        ).mappings():
            found[row["assessment_id"]] = ReviewLine(
                id=row["id"], rev=row["rev"], comment=row["comment"] or "",
                reviewed=bool(row["reviewed"]), reviewer=row["reviewer"] or "",
                reviewed_on=row["reviewed_on"],
                conflicts=frozenset(c["field"] for c in row["conflicts"] or ()))
    return found


def save_review(facility_id: int, assessment_id: str, person: str, comment: str,
                reviewed: bool, base_rev: int | None, today: date) -> dict | None:
    """Write a round's review as ``person``; return the sync result, or None if unchanged.

    Only the fields that differ from the stored review, or that two managers saved at
    once (the save settles them), are written, with the reviewer and the date: saving
    the form again unchanged changes nothing.

    :param facility_id: the round's facility (the caller checked the person reaches it).
    :param assessment_id: the round (of that facility, not removed).
    :param person: the manager's email address, shown to the committee.
    :param comment: the comment, validated (see ``ReviewFormSchema``).
    :param reviewed: whether the manager marks the plan as reviewed.
    :param base_rev: the review's revision the manager saw, None if they saw none.
    :param today: the date the review is saved on.
    :raises Rejected: if the sync rules refuse the change.
    """
    current = reviews_of([assessment_id]).get(assessment_id)
    wanted = {"comment": comment, "reviewed": reviewed}
    if current is not None:
        wanted = {k: v for k, v in wanted.items()
                  if getattr(current, k) != v or k in current.conflicts}
        if not wanted:
            return None
    else:
        wanted["assessment_id"] = assessment_id
    fields = {**wanted, "reviewer": person, "reviewed_on": today.isoformat()}
    if current is not None and base_rev is None:
        # The manager saw no review, but one was saved since: theirs was made on none.
        base_rev = 0
    return write_record(facility_id, person, "review", review_id(assessment_id), fields,
                        base_rev)
