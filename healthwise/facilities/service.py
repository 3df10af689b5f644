"""The registry of districts and facilities: create and list them.

Services only flush; the view or command that calls them commits.
"""

from sqlalchemy import select

from healthwise.extensions import db
from healthwise.facilities.models import District, Facility
from healthwise.validation import name_problem


class RegistryError(ValueError):
    """A district or facility that cannot be created as asked; the message says why."""


def district_named(name: str) -> District:
    """Return the district with this name, created if new.

    :raises RegistryError: for a name that is empty, too long or not printable.
    """
    problem = name_problem(name)
    if problem:
        raise RegistryError(f"Bad district name: {problem}")
    found = db.session.scalar(select(District).where(District.name == name))
    if found is None:
        found = District(name=name)
        db.session.add(found)
    return found


def create_facility(district_name: str, name: str, kind: str | None = None) -> Facility:
    """Create a facility in a district (the district is created if new).

    :raises RegistryError: for a bad district or facility name.
    """
    district = district_named(district_name)
    problem = name_problem(name)
    if problem:
        raise RegistryError(f"Bad facility name: {problem}")
    facility = Facility(name=name, district=district)
    if kind:
        facility.kind = kind
    db.session.add(facility)
    db.session.flush()
    return facility


def district_facilities() -> list[Facility]:
    """Return every facility of a district (not workshops' practice facilities), by id."""
    return list(db.session.scalars(select(Facility).where(Facility.district_id.is_not(None))
                                   .order_by(Facility.id)))
