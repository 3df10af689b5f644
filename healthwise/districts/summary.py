"""A district at a glance, and a facility's rounds, for managers and admins.

Rounds a committee removed (``removed``, a mistaken round) count nowhere here.
Everything here is shown above facility level, so every figure goes through
:func:`healthwise.districts.disclosure.disclose` or, from the round tallies,
:func:`~healthwise.districts.disclosure.disclose_counts` (sensitive checkpoints count only in
groups of five or more, no per-person rows), and participants' names and remarks are
never even read.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from healthwise.assessments import tallies
from healthwise.assessments.models import ActionItem, Answer, Assessment, Response
from healthwise.districts import overview
from healthwise.districts.disclosure import (
    Disclosure,
    SensitiveCount,
    disclose,
)
from healthwise.extensions import db
from healthwise.plans import priority


@dataclass(frozen=True)
class FacilitySummary:
    """One facility of a district: its rounds and its latest round's picture."""

    facility_id: int
    name: str
    rounds: int
    participants: int
    latest_id: str | None
    latest_title: str
    latest_started_on: str | None
    shares: tuple[priority.ModuleShare, ...]
    sensitive: tuple[SensitiveCount, ...]


def _kept():
    """Return the condition of the rounds that count: not removed by their committee."""
    return Assessment.__table__.c.removed.is_(False)


def _latest_key(found: overview.RoundFacts) -> tuple:
    """Order rounds as the summary names the latest: by start date, undated ones last,
    then by creation (the newest of each is the largest)."""
    return (found.started_on is not None, found.started_on or "", found.created_at, found.id)


def district_summary(district_id: int, registry) -> list[FacilitySummary]:
    """Return the summary of every facility of a district, by name.

    The overview's facts (:func:`healthwise.districts.overview.facilities_and_rounds`)
    and the round tallies: a constant number of queries whatever the facilities.

    :param district_id: the district (the caller has checked the reader may see it).
    :param registry: the checklist registry.
    """
    facilities, rounds = overview.facilities_and_rounds(district_id)
    by_facility: dict[int, list[overview.RoundFacts]] = defaultdict(list)
    for found in rounds:
        by_facility[found.facility_id].append(found)
    latest = {facility_id: max(found, key=_latest_key)
              for facility_id, found in by_facility.items()}
    counted = tallies.read(r.id for r in latest.values() if r.has_answers)
    summaries = []
    for facility in facilities:
        last = latest.get(facility.id)
        checklist = registry.get(last.checklist_id) if last else None
        figures = (overview.disclosed(checklist.data, counted.get(last.id, overview.NO_COUNTS),
                                      last.participants) if checklist else None)
        summaries.append(FacilitySummary(
            facility_id=facility.id, name=facility.name,
            rounds=len(by_facility.get(facility.id, ())),
            participants=last.participants if last else 0,
            latest_id=last.id if last else None, latest_title=last.title if last else "",
            latest_started_on=last.started_on if last else None,
            shares=figures.modules if figures else (),
            sensitive=figures.sensitive if figures else ()))
    return summaries


def _responses(assessment_id: str) -> list[dict]:
    """Return a round's responses as the ranking reads them: answers only, no names."""
    responses_table, answers_table = Response.__table__, Answer.__table__
    found = {row.id: {"answers": {}} for row in db.session.execute(
        select(responses_table.c.id).where(responses_table.c.assessment_id == assessment_id))}
    for row in db.session.execute(
            select(answers_table.c.response_id, answers_table.c.checkpoint_id,
                   answers_table.c.action, answers_table.c.priority)
            .where(answers_table.c.assessment_id == assessment_id)):
        if row.response_id in found:
            found[row.response_id]["answers"][row.checkpoint_id] = {
                "action": row.action, "priority": row.priority}
    return list(found.values())


@dataclass(frozen=True)
class RoundLine:
    """One round of a facility, as a list shows it."""

    id: str
    title: str
    kind: str
    status: str
    started_on: str | None
    previous_id: str | None
    participants: int


@dataclass(frozen=True)
class AgreedItem:
    """A line of a round's agreed plan, without who is responsible nor progress notes
    (free text that may name people)."""

    rank: int | None
    checkpoint_id: str | None
    action: str
    due_on: str | None
    cost: str
    status: str


@dataclass(frozen=True)
class RoundSummary:
    """A facility's round as a manager may see it: disclosed figures and the agreed plan."""

    round: RoundLine
    figures: Disclosure
    previous: Disclosure | None  # the previous round's, for the comparison
    items: tuple[AgreedItem, ...]


def _rounds_query(facility_id: int):
    assessments, responses = Assessment.__table__, Response.__table__
    participants = (select(func.count()).where(responses.c.assessment_id == assessments.c.id)
                    .scalar_subquery())
    return (select(assessments.c.id, assessments.c.title, assessments.c.kind,
                   assessments.c.status, assessments.c.started_on, assessments.c.previous_id,
                   assessments.c.checklist_id, participants.label("participants"))
            .where(assessments.c.facility_id == facility_id, _kept())
            .order_by(assessments.c.started_on.desc().nulls_last(),
                      assessments.c.created_at.desc(), assessments.c.id))


def _line(row) -> RoundLine:
    return RoundLine(id=row.id, title=row.title or "", kind=row.kind, status=row.status,
                     started_on=row.started_on, previous_id=row.previous_id,
                     participants=row.participants)


def facility_rounds(facility_id: int) -> list[RoundLine]:
    """Return a facility's rounds, newest first.

    :param facility_id: the facility (the caller has checked the reader may see it).
    """
    return [_line(row) for row in db.session.execute(_rounds_query(facility_id))]


def round_summary(facility_id: int, assessment_id: str, registry) -> RoundSummary | None:
    """Return what a manager may see of one round of a facility, or None if it has none.

    :param facility_id: the facility (the caller has checked the reader may see it).
    :param assessment_id: the round; one of another facility is "not found".
    :param registry: the checklist registry.
    """
    assessments = Assessment.__table__
    row = db.session.execute(_rounds_query(facility_id)
                             .where(assessments.c.id == assessment_id)).first()
    if row is None:
        return None
    found = registry.get(row.checklist_id)
    # A checklist this server lacks: nothing can be said to be sensitive or not, so nothing
    # is disclosed.
    checklist = found.data if found is not None else {"modules": []}
    previous = None
    if row.previous_id:
        before = db.session.execute(_rounds_query(facility_id)
                                    .where(assessments.c.id == row.previous_id)).first()
        if before is not None:
            previous = disclose(checklist, _responses(before.id))
    items = ActionItem.__table__
    agreed = tuple(AgreedItem(rank=item.rank, checkpoint_id=item.checkpoint_id,
                              action=item.action or "", due_on=item.due_on,
                              cost=item.cost or "", status=item.status or "")
                   for item in db.session.execute(
                       select(items.c.rank, items.c.checkpoint_id, items.c.action,
                              items.c.due_on, items.c.cost, items.c.status)
                       .where(items.c.assessment_id == row.id)
                       .order_by(items.c.rank, items.c.created_at, items.c.id)))
    return RoundSummary(round=_line(row), figures=disclose(checklist, _responses(row.id)),
                        previous=previous, items=agreed)
