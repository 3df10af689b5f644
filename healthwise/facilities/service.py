"""The registry of districts and facilities: create, edit, list and import them.

Services only flush; the view or command that calls them commits (or, after an
:class:`ImportFailed`, rolls back: an import is all or nothing). Who may reach which
district is decided by :mod:`healthwise.access.service`; the functions here are given the
districts the person reaches.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from healthwise.extensions import db
from healthwise.facilities.importer import DistrictRow, FacilityRow, Parsed, Problem, fold
from healthwise.facilities.models import KINDS, District, Facility
from healthwise.validation import name_problem


class RegistryError(ValueError):
    """A district or facility that cannot be created as asked; the message says why."""


class FieldProblem(RegistryError):
    """A form value the registry refuses: ``field`` and a ``code`` the page words."""

    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class ImportFailed(RegistryError):
    """A file that cannot be imported; ``problems`` say where and why. Nothing was kept."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: p.line)


@dataclass
class ImportSummary:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    districts_created: int = 0
    districts_updated: int = 0
    skipped: int = 0


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
    if kind is not None and kind not in KINDS:
        raise RegistryError(f"Unknown facility type {kind!r}: one of {', '.join(KINDS)}.")
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


# Forms: one district or facility -----------------------------------------------------------


def _code_holder(model, code: str | None, **where) -> object | None:
    if not code:
        return None
    return db.session.scalar(select(model).filter_by(code=code, **where))


def _set(obj, **values) -> bool:
    """Set the attributes that differ (so an unchanged row is not written); True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def save_district(district: District | None, name: str, code: str | None) -> District:
    """Create a district (``district`` None) or rename it and set its code.

    :raises FieldProblem: ``code``/``code_taken`` when another district has this code.
    """
    holder = _code_holder(District, code)
    if holder is not None and holder is not district:
        raise FieldProblem("code", "code_taken")
    if district is None:
        district = District(name=name, code=code or None)
        db.session.add(district)
    else:
        _set(district, name=name, code=code or None)
    db.session.flush()
    return district


def save_facility(facility: Facility | None, district: District, name: str, kind: str,
                  code: str | None) -> Facility:
    """Create a facility in a district (``facility`` None) or change it.

    :raises FieldProblem: ``code``/``code_taken`` when another facility of the district
        has this code; ``kind``/``unknown_type``.
    """
    if kind not in KINDS:
        raise FieldProblem("kind", "unknown_type")
    holder = _code_holder(Facility, code, district_id=district.id)
    if holder is not None and holder is not facility:
        raise FieldProblem("code", "code_taken")
    if facility is None:
        facility = Facility(district=district, name=name, kind=kind, code=code or None)
        db.session.add(facility)
    else:
        _set(facility, district=district, name=name, kind=kind, code=code or None)
    db.session.flush()
    return facility


# Import: a whole file, all or nothing --------------------------------------------------------


def apply_import(parsed: Parsed, reachable: Iterable[District] | None,
                 may_create_districts: bool) -> ImportSummary:
    """Create and update the districts and facilities of a parsed file, in the session.

    A facility is found by its external id (DHIS2 uid), else by its code in its district,
    else by its name in its district; a district likewise. Only what differs is written,
    so importing the same file again changes nothing.

    :param reachable: the districts the person may import into; None for every district.
    :param may_create_districts: True for an admin: districts the file names and the
        database lacks are created (and renamed from a DHIS2 file).
    :raises ImportFailed: with every problem found; the caller rolls back.
    """
    if parsed.problems:
        raise ImportFailed(parsed.problems)
    summary = ImportSummary(skipped=parsed.skipped)
    problems: list[Problem] = []
    pool = (list(db.session.scalars(select(District))) if reachable is None
            else list(reachable))
    districts = _DistrictIndex(pool)
    found: dict[int, District] = {}
    for row in parsed.facilities:
        district = districts.find(row.district)
        if district is None:
            problem = _new_district(row.district, may_create_districts, districts, summary)
            if isinstance(problem, Problem):
                problems.append(problem)
                continue
            district = problem
        elif may_create_districts and row.district.external_id and _set(
                district, name=row.district.name or district.name,
                code=row.district.code or district.code,
                external_id=row.district.external_id):
            summary.districts_updated += 1
        found[row.line] = district
    if problems:
        raise ImportFailed(problems)
    _flush()  # new districts get their ids
    facilities = _FacilityIndex(set(found.values()),
                                [r.external_id for r in parsed.facilities if r.external_id])
    allowed = {d.id for d in found.values()} | {d.id for d in pool}
    claimed: dict[int, int] = {}
    new_rows: list[dict] = []
    for row in parsed.facilities:
        district = found[row.line]
        match = facilities.match(row, district)
        if match is not None and match.district_id not in allowed:
            problems.append(Problem(row.line, "external_id_taken", {"value": row.external_id}))
            continue
        if match is not None and match.id in claimed:
            problems.append(Problem(row.line, "duplicate_row", {"first": claimed[match.id]}))
            continue
        holder = facilities.by_code.get((district.id, row.code)) if row.code else None
        if holder is not None and holder is not match:
            problems.append(Problem(row.line, "code_taken", {"value": row.code}))
            continue
        if match is None:
            new_rows.append({"district_id": district.id, "name": row.name,
                             "kind": row.kind or row.guessed_kind, "code": row.code,
                             "external_id": row.external_id})
            continue
        claimed[match.id] = row.line
        if _set(match, district_id=district.id, name=row.name, kind=row.kind or match.kind,
                code=row.code or match.code, external_id=row.external_id or match.external_id):
            summary.updated += 1
        else:
            summary.unchanged += 1
    if problems:
        raise ImportFailed(problems)
    _flush()
    if new_rows:
        # One executemany: the ORM's add() costs a tenth of a millisecond a facility.
        try:
            db.session.execute(insert(Facility), new_rows)
        except IntegrityError:
            raise ImportFailed([Problem(0, "conflict")]) from None
        summary.created = len(new_rows)
    return summary


def _flush() -> None:
    try:
        db.session.flush()
    except IntegrityError:  # codes swapped between facilities in one file, or a race
        raise ImportFailed([Problem(0, "conflict")]) from None


class _DistrictIndex:
    """The districts an import may use, found by external id, code or name."""

    def __init__(self, pool: list[District]):
        self.pool = pool
        self.by_external_id = {d.external_id: d for d in pool if d.external_id}
        self.by_code = {d.code: d for d in pool if d.code}
        self.by_name = {fold(d.name): d for d in pool}

    def find(self, row: DistrictRow) -> District | None:
        if row.external_id and row.external_id in self.by_external_id:
            return self.by_external_id[row.external_id]
        if row.code and row.code in self.by_code:
            return self.by_code[row.code]
        if row.name is None:
            return None
        found = self.by_name.get(fold(row.name))
        # A district that has its own DHIS2 id is another unit than this one.
        if found is not None and row.external_id and found.external_id:
            return None
        return found

    def add(self, district: District) -> None:
        self.pool.append(district)
        if district.external_id:
            self.by_external_id[district.external_id] = district
        if district.code:
            self.by_code[district.code] = district
        self.by_name[fold(district.name)] = district


def _new_district(row: DistrictRow, may_create: bool, districts: _DistrictIndex,
                  summary: ImportSummary) -> District | Problem:
    """Return a district created for a row, or why it cannot be.

    Only an admin creates districts, and an admin's index holds every district, so a code
    or id taken is found in it.
    """
    if row.name is None:
        return Problem(row.line, "unknown_parent", {"value": row.external_id})
    if not may_create:
        return Problem(row.line, "district_not_yours", {"value": row.name})
    for value, taken in ((row.code, districts.by_code),
                         (row.external_id, districts.by_external_id)):
        if value and value in taken:
            return Problem(row.line, "code_taken", {"value": value})
    district = District(name=row.name, code=row.code, external_id=row.external_id)
    db.session.add(district)
    districts.add(district)
    summary.districts_created += 1
    return district


class _FacilityIndex:
    """The facilities a file may mean: those of its districts, and those of its uids."""

    def __init__(self, districts: set[District], external_ids: list[str]):
        ids = [d.id for d in districts]
        rows = list(db.session.scalars(select(Facility).where(Facility.district_id.in_(ids))))
        # Facilities the file names by uid that are not in its districts (moved, or out of
        # reach): usually none, so usually no query.
        known = {f.external_id for f in rows}
        elsewhere = [uid for uid in external_ids if uid not in known]
        for start in range(0, len(elsewhere), 500):
            rows += db.session.scalars(select(Facility).where(
                Facility.external_id.in_(elsewhere[start:start + 500])))
        self.by_external_id = {f.external_id: f for f in rows if f.external_id}
        self.by_code = {(f.district_id, f.code): f for f in rows if f.code}
        self.by_name: dict = {}
        for facility in rows:
            self.by_name.setdefault((facility.district_id, fold(facility.name)), facility)

    def match(self, row: FacilityRow, district: District) -> Facility | None:
        if row.external_id and row.external_id in self.by_external_id:
            return self.by_external_id[row.external_id]
        if row.code and (district.id, row.code) in self.by_code:
            found = self.by_code[(district.id, row.code)]
        else:
            found = self.by_name.get((district.id, fold(row.name)))
        # A facility that has another DHIS2 id is another unit with the same name or code.
        if found is not None and row.external_id and found.external_id:
            return None
        return found
