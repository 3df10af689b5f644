"""Who may reach what, decided here and nowhere else; every feature asks this room.

A committee phone reaches its facility, a workshop participant its workshop's practice
facility, a district manager the facilities of their districts, a trainer their
workshops, an admin every district and every workshop. Nobody reaches a workshop's
practice facility through a district, not even an admin.

The rules read only the hub (:mod:`healthwise.facilities.models`) and the attributes of
the people and tokens they are given (``role``, ``id``, ``districts``; ``facility_id``,
``user``), so every room above can ask them.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import Select, false, select

from healthwise.extensions import db
from healthwise.facilities.models import District, Facility, Workshop

# Ids from URLs are checked against the column range first: PostgreSQL refuses to compare
# an INTEGER column with a bigger number (a 500), where "no such thing" is the answer.
MAX_ID = 2**31 - 1


class Role(enum.StrEnum):
    """What a person may do: an admin everything, a manager their districts, a trainer
    their workshops."""

    ADMIN = "admin"
    MANAGER = "manager"
    TRAINER = "trainer"


#: The roles that see district pages and the managers' API.
MANAGERS = (Role.MANAGER, Role.ADMIN)
#: The roles that run workshops.
TRAINERS = (Role.TRAINER, Role.ADMIN)


@dataclass(frozen=True)
class Scope:
    """What a token may read and write: a set of facilities."""

    facility_ids: frozenset[int]

    def allows(self, facility_id: int | None) -> bool:
        return facility_id in self.facility_ids


def valid_id(value: int) -> bool:
    """Return True if an id from a URL can be a row's id (see :data:`MAX_ID`)."""
    return 0 < value <= MAX_ID


def facilities_query(user) -> Select:
    """Return a query of the district facilities a user may see and manage, by district and name.

    An admin reaches every facility of every district, a manager those of their districts,
    a trainer none. Workshops' practice facilities belong to no district and are never
    here, not even for an admin: they are reached through their workshop.
    """
    query = (select(Facility).join(Facility.district)  # inner: no practice facility
             .order_by(District.name, Facility.name))
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.MANAGER:
        return query.where(Facility.district_id.in_([d.id for d in user.districts]))
    return query.where(false())


def workshops_query(user) -> Select:
    """Return a query of the workshops a user may see and manage, newest first.

    A trainer reaches their own workshops, an admin every workshop, a manager none.
    """
    query = select(Workshop).order_by(Workshop.starts_on.desc(), Workshop.id.desc())
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.TRAINER:
        return query.where(Workshop.trainer_id == user.id)
    return query.where(false())


def districts_of(user) -> list[District]:
    """Return the districts a user may see, by name."""
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(District).order_by(District.name)))
    if user.role == Role.MANAGER:
        return list(user.districts)
    return []


def reachable_facility(user, facility_id: int) -> Facility | None:
    """Return the facility if the user may manage it, else None (as if it did not exist)."""
    if not valid_id(facility_id):
        return None
    return db.session.scalar(facilities_query(user).where(Facility.id == facility_id))


def reachable_workshop(user, workshop_id: int) -> Workshop | None:
    """Return the workshop if the user may manage it, else None (as if it did not exist)."""
    if not valid_id(workshop_id):
        return None
    return db.session.scalar(workshops_query(user).where(Workshop.id == workshop_id))


def reachable_district(user, district_id: int) -> District | None:
    """Return the district if the user may see it, else None (as if it did not exist)."""
    return next((d for d in districts_of(user) if d.id == district_id), None)


def workshop_of(facility_id: int) -> Workshop | None:
    """Return the workshop whose practice facility this is, or None (a district facility)."""
    return db.session.scalar(select(Workshop).where(Workshop.facility_id == facility_id))


def manages_phones_of(user, facility_id: int) -> bool:
    """Return True if the user may create codes for and revoke the phones of a facility:
    one of their districts' facilities, or the practice facility of one of their workshops.
    """
    if reachable_facility(user, facility_id) is not None:
        return True
    return db.session.scalar(workshops_query(user).where(Workshop.facility_id == facility_id)
                             .with_only_columns(Workshop.id)) is not None


def may_revoke(user, token) -> bool:
    """Return True if the user may revoke a device or API token: a phone of a facility
    they manage or of one of their workshops, or one of their own tokens (an admin: any)."""
    if user.role == Role.ADMIN or token.user_id == user.id:
        return True
    return token.facility_id is not None and manages_phones_of(user, token.facility_id)


def scope_of(token) -> Scope:
    """Return what a token may read and write.

    A facility token reaches its facility: a committee phone its own, a workshop
    participant its workshop's practice facility (in no district), through the phones'
    API. A user's token reaches the district facilities that user reaches now (so taking
    a district from a manager takes it from their tokens too), never a workshop, and only
    through the managers' API.
    """
    if token.facility_id is not None:
        return Scope(frozenset({token.facility_id}))
    if token.user is not None:
        ids = db.session.scalars(facilities_query(token.user).with_only_columns(Facility.id))
        return Scope(frozenset(ids))
    return Scope(frozenset())
