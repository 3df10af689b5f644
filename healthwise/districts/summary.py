"""A district at a glance, for its manager: per facility, rounds, participants, module shares.

Whatever is shown above facility level follows one privacy rule, kept in the
pure function :func:`disclosed`: answers to a *sensitive* checkpoint (violence,
HIV status...) are counted only when at least :data:`MIN_GROUP` participants
answered it, and participants' names are never read at all.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from healthwise.assessments.models import Answer, Assessment, Response
from healthwise.districts.models import Facility
from healthwise.extensions import db
from healthwise.plans import priority

#: The smallest group whose answers to a sensitive checkpoint may be counted above
#: facility level: below it, a manager who knows who took part could tell how one
#: person answered.
MIN_GROUP = 5


def disclosed(count: int, group: int, minimum: int = MIN_GROUP) -> int | None:
    """Return a count of answers to a sensitive checkpoint if it may be shown, else None.

    :param count: how many participants gave the answer being counted.
    :param group: how many participants answered the checkpoint at all.
    :param minimum: the smallest group whose counts may be shown.
    """
    return count if group >= minimum else None


@dataclass(frozen=True)
class SensitiveCount:
    """Answers to one sensitive checkpoint in a facility's latest round."""

    checkpoint_id: str
    action: int | None  # participants proposing action; None when the group is too small
    answered: int | None  # None when the group is too small


@dataclass(frozen=True)
class FacilitySummary:
    """One facility of a district: its rounds and its latest round's picture."""

    facility_id: int
    name: str
    rounds: int
    participants: int
    latest_title: str
    latest_started_on: str | None
    shares: tuple[priority.ModuleShare, ...]
    sensitive: tuple[SensitiveCount, ...]


def sensitive_counts(checklist: dict, responses: list[dict]) -> tuple[SensitiveCount, ...]:
    """Return the counts of the sensitive checkpoints, hidden for small groups.

    :param checklist: the checklist as loaded from its data files.
    :param responses: one dict per participant with ``answers`` keyed by checkpoint id.
    """
    found = []
    for module in checklist["modules"]:
        for checkpoint in module["checkpoints"]:
            if not checkpoint.get("sensitive") or checkpoint.get("withdrawn"):
                continue
            actions = [(r["answers"].get(checkpoint["id"]) or {}).get("action")
                       for r in responses]
            answered = sum(1 for a in actions if a in ("yes", "no", "na"))
            found.append(SensitiveCount(
                checkpoint_id=checkpoint["id"],
                action=disclosed(actions.count("yes"), answered),
                answered=disclosed(answered, answered)))
    return tuple(found)


def district_summary(district_id: int, registry) -> list[FacilitySummary]:
    """Return the summary of every facility of a district, by name.

    :param district_id: the district (the caller has checked the reader may see it).
    :param registry: the checklist registry.
    """
    facilities = list(db.session.scalars(
        select(Facility).where(Facility.district_id == district_id).order_by(Facility.name)))
    assessments = Assessment.__table__
    rounds = dict(db.session.execute(
        select(assessments.c.facility_id, func.count())
        .where(assessments.c.facility_id.in_([f.id for f in facilities]))
        .group_by(assessments.c.facility_id)).all())
    summaries = []
    for facility in facilities:
        latest = db.session.execute(
            select(assessments.c.id, assessments.c.checklist_id, assessments.c.title,
                   assessments.c.started_on)
            .where(assessments.c.facility_id == facility.id)
            .order_by(assessments.c.started_on.desc().nulls_last(),
                      assessments.c.created_at.desc())
            .limit(1)).mappings().first()
        checklist = registry.get(latest["checklist_id"]) if latest else None
        responses = _responses(latest["id"]) if latest else []
        summaries.append(FacilitySummary(
            facility_id=facility.id, name=facility.name, rounds=rounds.get(facility.id, 0),
            participants=len(responses),
            latest_title=(latest["title"] or "") if latest else "",
            latest_started_on=latest["started_on"] if latest else None,
            shares=tuple(priority.module_shares(checklist.data, responses)) if checklist else (),
            sensitive=sensitive_counts(checklist.data, responses) if checklist else ()))
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
