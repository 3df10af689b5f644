"""Workshops: create them with their practice facility, find their trainer.

Who reaches which workshop is decided with everything else about access, in
:mod:`healthwise.access.service` (``workshops_query``, ``reachable_workshop``,
``scope_of``). Services only flush; the view or command that calls them commits.
"""

import hashlib
import json
import re
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from healthwise.access.service import Role
from healthwise.assessments.envelope import Rejected
from healthwise.assessments.models import ActionItem, Answer, Assessment, Response
from healthwise.assessments.service import write_record
from healthwise.auth.models import User
from healthwise.auth.service import normalise_email
from healthwise.checklists.registry import registry
from healthwise.devices import service as devices
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.extensions import db
from healthwise.facilities.models import Facility, Workshop
from healthwise.timeutil import utcnow
from healthwise.validation import name_problem
from healthwise.workshops import live
from healthwise.workshops.models import WorkshopGroup

#: What a practice facility is, as the phone shows it.
PRACTICE_KIND = "workshop"
#: The longest workshop: a course that meets once a week for a year, at most.
MAX_DAYS = 366


class WorkshopError(ValueError):
    """A workshop that cannot be created as asked; the message says why."""


class WorkshopOver(WorkshopError):
    """The workshop is closed or past its last day: nothing new may start in it."""


def create_workshop(trainer: User, name: str, starts_on: date,
                    ends_on: date | None = None) -> Workshop:
    """Create a workshop and its practice facility (in no district).

    :param trainer: the trainer who runs it and manages its join codes and phones.
    :param name: what participants see on their phones (1 to 200 characters).
    :param starts_on: its first day.
    :param ends_on: its last day (default: the first day).
    :raises WorkshopError: if the person is not a trainer, the name is empty or too long,
        not visible or holds control, bidi or surrogate characters (see
        :func:`healthwise.validation.name_problem`), or the dates are out of order or
        more than :data:`MAX_DAYS` apart.
    """
    problem = name_problem(name)
    name = " ".join(name.split())
    ends_on = ends_on or starts_on
    if trainer.role != Role.TRAINER:
        raise WorkshopError(f"{trainer.email} is not a trainer: only trainers run workshops.")
    if not 0 < len(name) <= 200:
        raise WorkshopError("A workshop needs a name of 1 to 200 characters.")
    if problem:
        raise WorkshopError(problem)
    if ends_on < starts_on:
        raise WorkshopError("A workshop cannot end before it starts.")
    if ends_on - starts_on > timedelta(days=MAX_DAYS):
        raise WorkshopError(f"A workshop lasts at most {MAX_DAYS} days.")
    practice = Facility(name=name, kind=PRACTICE_KIND, district=None)
    workshop = Workshop(name=name, trainer=trainer, facility=practice, starts_on=starts_on,
                        ends_on=ends_on)
    db.session.add(workshop)
    db.session.flush()
    return workshop


def find_trainer(email: str) -> User:
    """Return the trainer with this email address.

    :raises WorkshopError: if there is no such account or it is not a trainer's.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise WorkshopError(f"There is no account for {normalise_email(email)}.")
    if user.role != Role.TRAINER:
        raise WorkshopError(f"{user.email} is not a trainer: only trainers run workshops.")
    return user


def all_workshops() -> list[Workshop]:
    """Return every workshop, by id."""
    return list(db.session.scalars(select(Workshop).order_by(Workshop.id)))


# The workshop's life: its phones, its join code on the projector, closing, reuse, reset ------


def phone_counts(workshops: list[Workshop]) -> dict[int, int]:
    """Return the number of active phones (tokens not revoked) of each workshop, by id."""
    by_facility = dict(db.session.execute(
        select(DeviceToken.facility_id, func.count())
        .where(DeviceToken.facility_id.in_([w.facility_id for w in workshops]),
               DeviceToken.revoked_at.is_(None))
        .group_by(DeviceToken.facility_id)).all()) if workshops else {}
    return {w.id: by_facility.get(w.facility_id, 0) for w in workshops}


def current_code(workshop: Workshop, today: date | None = None) -> EnrolmentCode | None:
    """Return the join code the projector shows: the newest that still joins, or None.

    None too once the workshop is over (closed or past its last day): its codes no
    longer join.
    """
    if workshop.over(today or date.today()):
        return None
    return next((code for code in devices.codes_of(workshop.facility_id) if code.code), None)


def projector_code(workshop: Workshop, today: date | None = None) -> EnrolmentCode:
    """Return the current join code, or make one for the rest of the workshop; flush only.

    A new code lets 100 phones join until the end of the workshop's last day (at least
    one day).

    :raises WorkshopError: if the workshop is over.
    """
    today = today or date.today()
    if workshop.over(today):
        raise WorkshopError("This workshop is over: its join codes no longer work.")
    found = current_code(workshop, today)
    if found is None:
        days = max(1, (workshop.ends_on - today).days + 1)
        found, _ = devices.create_enrolment_code(workshop.facility_id, uses=100,
                                                 ttl=timedelta(days=days))
    return found


def close_workshop(workshop: Workshop) -> None:
    """Close a workshop: its participants' phones get 401 and its join codes stop.

    What was recorded stays, as training data: the practice facility is in no district.
    Closing twice keeps the first moment.
    """
    if workshop.closed_at is None:
        workshop.closed_at = utcnow()
    for code in devices.codes_of(workshop.facility_id):
        devices.end_code(code)
    db.session.flush()


def setup_from(previous: Workshop, today: date | None = None) -> dict:
    """Return the set-up of a new workshop copied from a previous one, as the form takes it.

    The one place to extend when workshops have more set-up: the name, its last number
    counted on ("group 1" becomes "group 2"), the dates, moved by whole weeks to start on
    or after today, same length and weekdays, and ``from`` (the previous workshop's id:
    creating the workshop with it copies the groups, :func:`copy_setup`). The trainer is
    whoever creates it. Pure: reads nothing from the database.
    """
    today = today or date.today()
    weeks = max(0, -(-(today - previous.starts_on).days // 7))
    shift = timedelta(weeks=weeks)
    return {"name": next_name(previous.name),
            "starts_on": (previous.starts_on + shift).isoformat(),
            "ends_on": (previous.ends_on + shift).isoformat(),
            "from": str(previous.id)}


def copy_setup(workshop: Workshop, previous: Workshop) -> list[WorkshopGroup]:
    """Give a new workshop the groups of a previous one; flush only.

    What a trainer set up is copied: each group's name, what it walks (its round's title)
    and its modules. Who was in it (phones), its round and every answer stay with the
    previous workshop: the new one starts with empty groups and no round.
    """
    made = [WorkshopGroup(workshop_id=workshop.id, name=g.name, walks=g.walks,
                          modules=list(g.modules) if g.modules else None, token_ids=[])
            for g in groups(previous)]
    db.session.add_all(made)
    db.session.flush()
    return made


def next_name(name: str) -> str:
    """Count on the last number of a workshop's name ("Group 1" gives "Group 2")."""
    found = list(re.finditer(r"\d+", name))
    if not found:
        return name
    last = found[-1]
    return f"{name[:last.start()]}{int(last.group()) + 1}{name[last.end():]}"


def reset_practice(workshop: Workshop, person: str) -> tuple[int, int]:
    """Clear the practice facility for the next group; flush only.

    Each round not yet removed is removed (``removed``, written as ``person`` through the
    sync rules, so phones see it as any removal), each active phone is revoked and each
    join code ended. Nothing is deleted. Certificates name the phones joined since.

    :param person: who resets (an email address), named in the rounds' history.
    :returns: how many rounds were removed and how many phones revoked.
    """
    removed = rounds(workshop)
    for round_ in removed:
        write_record(workshop.facility_id, person, "assessment", round_.id,
                     {"removed": True}, base_rev=round_.rev)
    phones = devices.devices_of(workshop.facility_id)
    for token in phones:
        devices.revoke(token)
    for code in devices.codes_of(workshop.facility_id):
        devices.end_code(code)
    workshop.reset_at = utcnow()
    db.session.flush()
    return len(removed), len(phones)


def participant_names(workshop: Workshop) -> list[str]:
    """Return the participants to certify: the names their phones joined with, as typed.

    One per name (a phone that joined twice is one participant), in the order they
    joined, since the last reset; phones with no name are left out.
    """
    query = (select(DeviceToken.name).where(DeviceToken.facility_id == workshop.facility_id)
             .order_by(DeviceToken.created_at, DeviceToken.id))
    if workshop.reset_at is not None:
        query = query.where(DeviceToken.created_at >= workshop.reset_at)
    names = (" ".join(name.split()) for name in db.session.scalars(query))
    return list(dict.fromkeys(name for name in names if name))


def checkpoints_answered(workshop: Workshop) -> set[str]:
    """Return the checkpoints answered in the practice rounds not removed."""
    return set(db.session.scalars(
        select(Answer.checkpoint_id).distinct()
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(Assessment.facility_id == workshop.facility_id,
               Assessment.removed.is_(False))))
# Rounds for everyone ------------------------------------------------------------------------

#: The checklist workshops practise with.
CHECKLIST_ID = "healthwise"
#: Groups one workshop may have.
MAX_GROUPS = 20


def checklist():
    """Return the checklist workshops practise with."""
    return registry().get(CHECKLIST_ID)


def start_round(workshop: Workshop, person: str, title: str, modules: list[str],
                group: WorkshopGroup | None = None, today: date | None = None,
                assessment_id: str | None = None) -> str:
    """Start a practice round that every participant's phone joins; return its id.

    The round is written as ``person`` (the trainer), through the sync rules, so phones
    pull it with everything else. A group's round also becomes what the group walks
    (``walks``, ``modules``), which a workshop set up from this one copies.

    :param workshop: the workshop; the round is in its practice facility.
    :param person: who starts it (an email address, for the history).
    :param title: what the phones show (1 to 200 characters).
    :param modules: the module ids to walk; empty: the whole checklist.
    :param group: the group that walks it, if any (it becomes the group's round).
    :param assessment_id: the round's id, made once by the form: the same form sent twice
        (a double tap) starts one round, and the second send returns the first's id.
    :raises WorkshopOver: once the workshop is closed or past its last day (its phones
        could no longer sync the round).
    :raises WorkshopError: for an empty title, an unknown module, or an id taken by a
        record that is not this workshop's round.
    """
    if workshop.over(today or date.today()):
        raise WorkshopOver("This workshop is over: no round can start in it.")
    if assessment_id is not None:
        taken = db.session.get(Assessment, assessment_id)
        if taken is not None:
            if taken.facility_id != workshop.facility_id:
                raise WorkshopError("This round cannot be started: start it again.")
            return taken.id
    title = " ".join(title.split())
    if not 0 < len(title) <= 200 or name_problem(title):
        raise WorkshopError("A round needs a title of 1 to 200 characters.")
    found = checklist()
    known = [m["id"] for m in found.data["modules"]]
    if any(m not in known for m in modules):
        raise WorkshopError("Choose modules of the checklist.")
    fields = {"facility_id": workshop.facility_id, "checklist_id": found.id,
              "checklist_version": found.version, "title": title, "kind": "baseline",
              "status": "open", "started_on": (today or date.today()).isoformat()}
    if modules:
        fields["modules"] = [m for m in known if m in modules]
    assessment_id = assessment_id or str(uuid.uuid4())
    try:
        write_record(workshop.facility_id, person, "assessment", assessment_id, fields)
    except Rejected as exc:  # the id is another record's (ids are unique across types)
        raise WorkshopError(exc.message) from None
    if group is not None:
        group.assessment_id = assessment_id
        group.walks = title
        group.modules = fields.get("modules")
    return assessment_id


def rounds(workshop: Workshop) -> list[Assessment]:
    """Return the rounds of a workshop's practice facility (not removed), oldest first."""
    return list(db.session.scalars(
        select(Assessment).where(Assessment.facility_id == workshop.facility_id,
                                 Assessment.removed.is_(False))
        .order_by(Assessment.created_at, Assessment.id)))


def find_round(workshop: Workshop, assessment_id: str) -> Assessment | None:
    """Return one of the workshop's rounds, or None."""
    found = db.session.get(Assessment, assessment_id)
    if found is None or found.facility_id != workshop.facility_id or found.removed:
        return None
    return found


# Groups -------------------------------------------------------------------------------------


def groups(workshop: Workshop) -> list[WorkshopGroup]:
    """Return a workshop's groups, in the order they were made."""
    return list(db.session.scalars(select(WorkshopGroup).where(
        WorkshopGroup.workshop_id == workshop.id).order_by(WorkshopGroup.id)))


def find_group(workshop: Workshop, group_id: int | None) -> WorkshopGroup | None:
    """Return one of the workshop's groups, or None."""
    found = db.session.get(WorkshopGroup, group_id) if group_id else None
    return found if found is not None and found.workshop_id == workshop.id else None


def add_group(workshop: Workshop, name: str) -> WorkshopGroup:
    """Add a group to a workshop.

    :raises WorkshopError: for an empty, too long or repeated name, or past
        :data:`MAX_GROUPS`.
    """
    name = " ".join(name.split())
    existing = groups(workshop)
    if not 0 < len(name) <= 100 or name_problem(name):
        raise WorkshopError("A group needs a name of 1 to 100 characters.")
    if any(g.name.casefold() == name.casefold() for g in existing):
        raise WorkshopError("There is a group of that name already.")
    if len(existing) >= MAX_GROUPS:
        raise WorkshopError(f"A workshop has at most {MAX_GROUPS} groups.")
    group = WorkshopGroup(workshop_id=workshop.id, name=name, token_ids=[])
    db.session.add(group)
    db.session.flush()
    return group


def phones(workshop: Workshop) -> list[DeviceToken]:
    """Return the participants' phones that have joined (not revoked), by joining time."""
    return list(db.session.scalars(
        select(DeviceToken).where(DeviceToken.facility_id == workshop.facility_id,
                                  DeviceToken.revoked_at.is_(None))
        .order_by(DeviceToken.created_at, DeviceToken.id)))


def assign_phones(workshop: Workshop, placement: dict[int, int | None]) -> None:
    """Put each phone in a group (or in none).

    :param placement: per device token id, a group id of this workshop or None.
    :raises WorkshopError: for a phone or a group not of this workshop.
    """
    known = {t.id for t in phones(workshop)}
    by_id = {g.id: g for g in groups(workshop)}
    if not set(placement) <= known or not {g for g in placement.values() if g} <= set(by_id):
        raise WorkshopError("Place this workshop's phones in this workshop's groups.")
    for group in by_id.values():
        kept = [t for t in group.token_ids or [] if t not in placement and t in known]
        group.token_ids = sorted(kept + [t for t, g in placement.items() if g == group.id])


# The live view ------------------------------------------------------------------------------


def live_etag(workshop: Workshop, *parts: object) -> str:
    """Return a tag that changes whenever what the live view shows may have changed.

    Two queries whatever the number of phones: the latest sync clock value of the
    practice facility's records, and its phones and groups.
    """
    facility = workshop.facility_id
    latest = [select(func.max(model.seq)).where(model.facility_id == facility)
              .scalar_subquery() for model in (Assessment, Response, Answer, ActionItem)]
    seqs = db.session.execute(select(*latest)).one()
    tokens = db.session.execute(
        select(func.count(DeviceToken.id), func.max(DeviceToken.id),
               func.count(DeviceToken.revoked_at))
        .where(DeviceToken.facility_id == facility)).one()
    placed = db.session.execute(select(WorkshopGroup.id, WorkshopGroup.name,
                                       WorkshopGroup.token_ids, WorkshopGroup.assessment_id)
                                .where(WorkshopGroup.workshop_id == workshop.id)
                                .order_by(WorkshopGroup.id)).all()
    content = json.dumps([list(seqs), list(tokens), [list(g) for g in placed], *parts],
                         default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def live_state(workshop: Workshop, assessment_id: str | None = None, top: int = live.TOP
               ) -> dict:
    """Return what the live view shows: phones, groups, rounds and one round's figures.

    A fixed number of queries, whatever the number of phones and answers.

    :param assessment_id: the round shown in detail (default: the newest open round).
    :param top: how many emerging priorities the round's figures list.
    """
    found = checklist()
    all_rounds = rounds(workshop)
    tokens = phones(workshop)
    all_groups = groups(workshop)
    facility = workshop.facility_id
    responses: dict[str, dict] = {}
    for row in db.session.execute(
            select(Response.id, Response.assessment_id, Response.participant, Response.role)
            .where(Response.facility_id == facility)
            .order_by(Response.created_at, Response.id)).mappings():
        responses[row["id"]] = {**row, "answers": {}}
    for row in db.session.execute(
            select(Answer.response_id, Answer.checkpoint_id, Answer.action, Answer.priority)
            .where(Answer.facility_id == facility)).mappings():
        if row["response_id"] in responses:
            responses[row["response_id"]]["answers"][row["checkpoint_id"]] = row
    by_round: dict[str, list[dict]] = {}
    for response in responses.values():
        by_round.setdefault(response["assessment_id"], []).append(response)
    chosen = next((a for a in all_rounds if a.id == assessment_id), None) or next(
        (a for a in reversed(all_rounds) if a.status == "open"),
        all_rounds[-1] if all_rounds else None)
    group_of_round = {g.assessment_id: g.name for g in all_groups if g.assessment_id}
    summaries = []
    detail = None
    for assessment in all_rounds:
        shown = chosen is not None and assessment.id == chosen.id
        # Only the round shown in detail needs its ranking (the costly part).
        figures = live.round_figures(found.data, assessment.modules,
                                     by_round.get(assessment.id, []), top if shown else 0)
        summaries.append({
            "id": assessment.id, "title": assessment.title, "status": assessment.status,
            "modules": assessment.modules or [], "group": group_of_round.get(assessment.id),
            "participants": len(figures["participants"]), "total": figures["total"],
            "answered": figures["answered"],
            "progress": live.progress(figures["answered"], figures["total"],
                                      len(figures["participants"]))})
        if shown:
            detail = {"id": assessment.id, "title": assessment.title,
                      "status": assessment.status, **figures}
    group_names = {t: g.name for g in all_groups for t in g.token_ids or []}
    return {
        "phones": [{"id": t.id, "name": t.name, "group": group_names.get(t.id)}
                   for t in tokens],
        "groups": [{"id": g.id, "name": g.name, "round": g.assessment_id,
                    "phones": len(g.token_ids or [])} for g in all_groups],
        "rounds": summaries,
        "round": detail,
    }


# The consensus ------------------------------------------------------------------------------


def agree_plan(workshop: Workshop, person: str, assessment: Assessment,
               items: list[dict]) -> int:
    """Write the room's agreed action items into a round and mark it agreed.

    Items go after the round's existing ones, in the order given; a checkpoint that
    already has an item in the round is not added twice.

    :param items: dicts with ``checkpoint_id``, ``action``, ``responsible``,
        ``due_on`` (ISO date or None) and ``cost``, as the phone's plan writes them.
    :returns: how many items were added.
    :raises WorkshopError: if a checkpoint is not one the round walks.
    """
    walked = {cp["id"] for m in live.walked(checklist().data, assessment.modules)["modules"]
              for cp in m["checkpoints"]}
    existing = list(db.session.execute(
        select(ActionItem.checkpoint_id, ActionItem.rank)
        .where(ActionItem.assessment_id == assessment.id)))
    taken = {row.checkpoint_id for row in existing}
    rank = max([row.rank or 0 for row in existing] + [0])
    added = 0
    for item in items:
        if item["checkpoint_id"] not in walked:
            raise WorkshopError("Choose checkpoints of this round.")
        if item["checkpoint_id"] in taken:
            continue
        rank += 1
        taken.add(item["checkpoint_id"])
        try:
            write_record(workshop.facility_id, person, "action_item", str(uuid.uuid4()), {
                "assessment_id": assessment.id, "checkpoint_id": item["checkpoint_id"],
                "action": item["action"], "responsible": item["responsible"],
                "due_on": item["due_on"], "cost": item["cost"], "status": "planned",
                "progress_note": "", "rank": rank})
        except Rejected as exc:
            raise WorkshopError(exc.message) from None
        added += 1
    if assessment.status != "agreed":
        write_record(workshop.facility_id, person, "assessment", assessment.id,
                     {"status": "agreed"}, base_rev=assessment.rev)
    return added


# A participant's phone: its workshop and its group ------------------------------------------


def phone_group(workshop: Workshop, token_id: int) -> dict:
    """Return what a participant's phone shows of the groups: its own, and whose each
    round is.

    :returns: ``group`` (this phone's: id, name, walks, modules, round; None if in no
        group) and ``rounds`` (each group's round id: the group's name), so the phone
        walks its group's round and leaves out the other groups'. One query.
    """
    found = groups(workshop)
    mine = next((g for g in found if token_id in (g.token_ids or [])), None)
    return {
        "group": None if mine is None else {
            "id": mine.id, "name": mine.name, "walks": mine.walks,
            "modules": mine.modules or [], "round": mine.assessment_id},
        "rounds": [{"id": g.assessment_id, "group": g.name} for g in found
                   if g.assessment_id],
    }
