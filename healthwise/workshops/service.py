"""Workshops: create them with their practice facility, find their trainer.

Who reaches which workshop is decided with everything else about access, in
:mod:`healthwise.access.service` (``workshops_query``, ``reachable_workshop``,
``scope_of``). Services only flush; the view or command that calls them commits.
"""

from datetime import date, timedelta

from sqlalchemy import select

from healthwise.access.service import Role
from healthwise.auth.models import User
from healthwise.auth.service import normalise_email
from healthwise.extensions import db
from healthwise.facilities.models import Facility, Workshop
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
