"""Workshops: create them with their practice facility, find their trainer.

Who reaches which workshop is decided with everything else about access, in
:mod:`healthwise.access.service` (``workshops_query``, ``reachable_workshop``,
``scope_of``). Services only flush; the view or command that calls them commits.
"""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from healthwise.access.service import Role
from healthwise.assessments.models import Answer, Assessment
from healthwise.assessments.service import write_record
from healthwise.auth.models import User
from healthwise.auth.service import normalise_email
from healthwise.devices import service as devices
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.extensions import db
from healthwise.facilities.models import Facility, Workshop
from healthwise.timeutil import utcnow
from healthwise.validation import name_problem

#: What a practice facility is, as the phone shows it.
PRACTICE_KIND = "workshop"
#: The longest workshop: a course that meets once a week for a year, at most.
MAX_DAYS = 366


class WorkshopError(ValueError):
    """A workshop that cannot be created as asked; the message says why."""


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

    The one place to extend when workshops have more set-up (groups, modules): today the
    name, its last number counted on ("group 1" becomes "group 2"), and the dates, moved
    by whole weeks to start on or after today, same length and weekdays. The trainer is
    whoever creates it.
    """
    today = today or date.today()
    weeks = max(0, -(-(today - previous.starts_on).days // 7))
    shift = timedelta(weeks=weeks)
    return {"name": next_name(previous.name),
            "starts_on": (previous.starts_on + shift).isoformat(),
            "ends_on": (previous.ends_on + shift).isoformat()}


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
    rounds = list(db.session.scalars(
        select(Assessment).where(Assessment.facility_id == workshop.facility_id,
                                 Assessment.removed.is_(False))
        .order_by(Assessment.created_at, Assessment.id)))
    for round_ in rounds:
        write_record(workshop.facility_id, person, "assessment", round_.id,
                     {"removed": True}, base_rev=round_.rev)
    phones = devices.devices_of(workshop.facility_id)
    for token in phones:
        devices.revoke(token)
    for code in devices.codes_of(workshop.facility_id):
        devices.end_code(code)
    workshop.reset_at = utcnow()
    db.session.flush()
    return len(rounds), len(phones)


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
