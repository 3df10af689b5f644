"""District exports: a district's facilities, rounds, agreed actions and figures as files.

What leaves here is above facility level, so it follows the rule of
:mod:`healthwise.districts.disclosure`: every figure is worked out by
:func:`~healthwise.districts.disclosure.disclose` (a sensitive checkpoint counts only where
five or more answered it; below that its cells are blank), and nothing carries a
participant's name, role or remark, who is responsible for an action or its progress
notes, nor one person's answers: those columns are never even read. A workshop's
practice facility is in no district and never here; a round its committee removed
counts nowhere.

Memory stays bounded whatever the district's size: answers are read and counted one
round at a time, action items are streamed, and the files are written as the rows
come (:mod:`healthwise.exports.tables`).
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from importlib import metadata as package_metadata
from itertools import chain
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from healthwise.assessments.models import ActionItem, Answer, Assessment, Response, Review
from healthwise.districts.disclosure import MIN_GROUP, disclose
from healthwise.exports import tables
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility, Workshop
from healthwise.plans import actions
from healthwise.timeutil import iso, utcnow

__all__ = ["DistrictExport", "WorkshopExport", "for_districts", "for_workshop"]

#: Streamed from the database this many rows at a time.
CHUNK = 1000
#: A checklist this server lacks: nothing can be said to be sensitive, so nothing is counted.
UNKNOWN_CHECKLIST = {"modules": []}


@dataclass
class DistrictExport:
    """What one export holds: the districts it covers, and how to read and write them.

    :param districts: the districts, as the caller may see them (checked before).
    :param registry: the checklist registry.
    :param today: the day against which open actions are overdue.
    :param now: the moment of the export (in ``metadata``).
    """

    districts: list[District]
    registry: Any
    today: date = field(default_factory=date.today)
    now: datetime = field(default_factory=utcnow)

    @property
    def district_ids(self) -> list[int]:
        return [district.id for district in self.districts]

    # Rows ------------------------------------------------------------------------------------

    def district_rows(self) -> list[dict]:
        """Return the districts: id and name."""
        return [{"id": d.id, "name": d.name} for d in sorted(self.districts, key=_by_name)]

    def facility_rows(self) -> list[dict]:
        """Return the facilities of the districts, with their rounds and last round's date."""
        rounds: dict[int, list[dict]] = {}
        for found in self.round_rows():
            rounds.setdefault(found["facility_id"], []).append(found)
        return [{**facility, "rounds": len(rounds.get(facility["id"], ())),
                 "last_round_on": max((r["started_on"] for r in rounds.get(facility["id"], ())
                                       if r["started_on"]), default=None)}
                for facility in self._facilities]

    def round_rows(self) -> list[dict]:
        """Return the rounds of the districts' facilities (not removed), oldest first, with
        how many took part in each."""
        return self._rounds

    @cached_property
    def _facilities(self) -> list[dict]:
        """The facilities, read once: every table of the export holds the same ones."""
        query = (select(Facility.id, Facility.district_id, District.name.label("district"),
                        Facility.name, Facility.kind)
                 .join(District, District.id == Facility.district_id)
                 .where(Facility.district_id.in_(self.district_ids))
                 .order_by(District.name, Facility.name, Facility.id))
        return [{"id": row.id, "district_id": row.district_id, "district": row.district,
                 "name": row.name, "type": row.kind} for row in db.session.execute(query)]

    @cached_property
    def _rounds(self) -> list[dict]:
        """The rounds, read once, of the facilities read (a phone may sync meanwhile: a
        row of a later table whose parent was not read is left out, so that every
        foreign key of the file holds)."""
        rounds, responses = Assessment.__table__, Response.__table__
        reviews = Review.__table__
        participants = (select(func.count()).where(responses.c.assessment_id == rounds.c.id)
                        .scalar_subquery())
        query = (select(rounds.c.id, rounds.c.facility_id, rounds.c.title, rounds.c.kind,
                        rounds.c.status, rounds.c.started_on, rounds.c.previous_id,
                        rounds.c.checklist_id, rounds.c.checklist_version,
                        rounds.c.created_at, participants.label("participants"),
                        reviews.c.reviewed, reviews.c.reviewed_on,
                        reviews.c.comment.label("review_comment"))
                 .outerjoin(reviews, reviews.c.assessment_id == rounds.c.id)
                 .where(rounds.c.removed.is_(False), rounds.c.facility_id.in_(
                     self._facility_ids()))
                 .order_by(rounds.c.facility_id, rounds.c.created_at, rounds.c.id))
        facilities = {facility["id"] for facility in self._facilities}
        found = [{"id": row.id, "facility_id": row.facility_id, "title": row.title or "",
                  "kind": row.kind, "status": row.status, "started_on": row.started_on,
                  "previous_id": row.previous_id, "checklist_id": row.checklist_id,
                  "checklist_version": row.checklist_version,
                  "participants": row.participants, "created_at": iso(row.created_at),
                  # The district manager's review (healthwise/districts/review.py).
                  "reviewed": bool(row.reviewed), "reviewed_on": row.reviewed_on,
                  "review_comment": row.review_comment or None}
                 for row in db.session.execute(query) if row.facility_id in facilities]
        # A follow-up of a removed round names no round: the removed one is not here.
        kept = {row["id"] for row in found}
        for row in found:
            if row["previous_id"] not in kept:
                row["previous_id"] = None
        return found

    def action_item_rows(self) -> Iterator[dict]:
        """Yield the agreed actions of the rounds (not removed), streamed: what, for which
        checkpoint, when, what it costs and where it stands; never who is responsible nor
        the progress notes."""
        items, rounds = ActionItem.__table__, Assessment.__table__
        query = (select(items.c.id, items.c.assessment_id, items.c.facility_id,
                        items.c.checkpoint_id, items.c.action, items.c.due_on, items.c.cost,
                        items.c.status, items.c.rank, rounds.c.checklist_id)
                 .join(rounds, rounds.c.id == items.c.assessment_id)
                 .where(rounds.c.removed.is_(False),
                        rounds.c.facility_id.in_(self._facility_ids()))
                 # Unranked last on both databases (SQLite sorts NULL first, PostgreSQL last).
                 .order_by(items.c.facility_id, items.c.assessment_id, items.c.rank.is_(None),
                           items.c.rank, items.c.created_at, items.c.id)
                 .execution_options(yield_per=CHUNK))
        modules: dict[str, dict[str, str]] = {}
        kept = {found["id"] for found in self._rounds}
        for row in db.session.execute(query):
            if row.assessment_id not in kept:
                continue
            if row.checklist_id not in modules:
                modules[row.checklist_id] = _module_of(self._checklist(row.checklist_id))
            yield {"id": row.id, "round_id": row.assessment_id,
                   "facility_id": row.facility_id, "checkpoint_id": row.checkpoint_id,
                   "module_id": modules[row.checklist_id].get(row.checkpoint_id or ""),
                   "action": row.action or "", "due_on": row.due_on, "cost": row.cost,
                   "status": row.status, "rank": row.rank,
                   "overdue": actions.is_overdue({"status": row.status, "due_on": row.due_on},
                                                 self.today)}

    def figures(self) -> Iterator[tuple[list[dict], list[dict]]]:
        """Yield, round by round, its module figures and its checkpoint figures.

        Each round's answers are read, counted by
        :func:`~healthwise.districts.disclosure.disclose` and forgotten before the next.
        """
        for found in self._rounds:
            checklist = self._checklist(found["checklist_id"])
            yield round_figures(found["id"], checklist, _answer_sheets(found["id"]))

    def module_figure_rows(self) -> Iterator[dict]:
        """Yield every round's module figures."""
        return chain.from_iterable(modules for modules, _ in self.figures())

    def checkpoint_figure_rows(self) -> Iterator[dict]:
        """Yield every round's checkpoint figures."""
        return chain.from_iterable(checkpoints for _, checkpoints in self.figures())

    def rows(self, name: str) -> Iterable[dict]:
        """Return the rows of one table of :data:`healthwise.exports.tables.TABLES`.

        :raises KeyError: for a name that is no table.
        """
        return {"districts": self.district_rows, "facilities": self.facility_rows,
                "rounds": self.round_rows, "action_items": self.action_item_rows,
                "module_figures": self.module_figure_rows,
                "checkpoint_figures": self.checkpoint_figure_rows}[name]()

    def metadata(self) -> dict[str, Any]:
        """Return what the export is: when, by which server, under which rule."""
        found = {"exported_at": iso(self.now), "server_version": _server_version(),
                 "min_group": MIN_GROUP,
                 "districts": ",".join(str(i) for i in sorted(self.district_ids)),
                 "overdue_as_of": self.today.isoformat(),
                 "leaves_out": "participants' names, roles and remarks; who is responsible "
                               "for an action; progress notes; each person's answers; "
                               "workshops; removed rounds",
                 "rule": f"a sensitive checkpoint counts only where at least {MIN_GROUP} "
                         "participants answered it; below that its figures are blank and "
                         "it counts in no module share"}
        for checklist in self.registry:
            found[f"checklist_version:{checklist.id}"] = checklist.version
        return found

    # Files -----------------------------------------------------------------------------------

    def write_sqlite(self, path: Path) -> None:
        """Build the export's SQLite file at ``path`` (a new file)."""
        tables.build_sqlite(path, {
            "districts": self.district_rows(), "facilities": self.facility_rows(),
            "rounds": self.round_rows(), "action_items": self.action_item_rows()},
            self.figures(), self.metadata())

    def write_zip(self, out: IO[bytes]) -> None:
        """Write every CSV file of the export into one ZIP archive."""
        tables.write_zip(out, {name: self.rows(name) for name in tables.CSV_TABLES})

    def write_csv(self, name: str, out: IO[bytes]) -> None:
        """Write one table as a CSV file.

        :raises KeyError: for a name that is no CSV table.
        """
        if name not in tables.CSV_TABLES:
            raise KeyError(name)
        tables.write_csv(out, tables.TABLES[name], self.rows(name))

    def sqlite_file(self) -> IO[bytes]:
        """Return the SQLite file, built in a temporary folder, open for reading.

        The folder is removed at once: the file is gone when the handle is closed.
        """
        with tempfile.TemporaryDirectory(prefix="healthwise-export-") as folder:
            path = Path(folder) / "export.sqlite"
            self.write_sqlite(path)
            return path.open("rb")

    def zip_file(self) -> IO[bytes]:
        """Return the ZIP archive of the CSV files, in a temporary file, at its start."""
        return _temporary(self.write_zip)

    def csv_file(self, name: str) -> IO[bytes]:
        """Return one CSV file, in a temporary file, at its start.

        :raises KeyError: for a name that is no CSV table.
        """
        return _temporary(lambda out: self.write_csv(name, out))

    def filename(self, extension: str) -> str:
        """Name a file of the export: ``healthwise-<district>-<date>.<extension>``.

        ASCII letters and digits only (so every browser and file system keeps it); a
        district whose name has none is called by its id.
        """
        if len(self.districts) == 1:
            district = self.districts[0]
            name = slug(district.name) or f"district-{district.id}"
        else:
            name = "districts"
        return f"healthwise-{name}-{self.today.isoformat()}.{extension}"

    # Helpers ---------------------------------------------------------------------------------

    def _facility_ids(self):
        return (select(Facility.id).where(Facility.district_id.in_(self.district_ids))
                .scalar_subquery())

    def _checklist(self, checklist_id: str) -> dict:
        found = self.registry.get(checklist_id)
        return found.data if found is not None else UNKNOWN_CHECKLIST


def for_districts(districts: Iterable[District], registry, today: date | None = None
                  ) -> DistrictExport:
    """Return the export of some districts (the caller has checked the reader's reach).

    :param districts: the districts.
    :param registry: the checklist registry.
    :param today: the day against which actions are overdue (the server's today).
    """
    return DistrictExport(list(districts), registry, today or date.today())


@dataclass
class WorkshopExport(DistrictExport):
    """A workshop's results: its practice facility's rounds, as a district's export holds
    them and under the same rule (figures under the rule of five, no names).

    The practice facility is in no district: the files have no district rows and its
    facility row has no district.

    :param workshop: the workshop (the caller checked the reader's reach).
    """

    workshop: Workshop | None = None

    def district_rows(self) -> list[dict]:
        """Return no district: a practice facility is in none."""
        return []

    @cached_property
    def _facilities(self) -> list[dict]:
        facility = self.workshop.facility
        return [{"id": facility.id, "district_id": None, "district": "",
                 "name": facility.name, "type": facility.kind}]

    def _facility_ids(self):
        return select(Facility.id).where(Facility.id == self.workshop.facility_id
                                         ).scalar_subquery()

    def metadata(self) -> dict[str, Any]:
        """Return what the export is: a district export's metadata, for one workshop."""
        found = super().metadata()
        del found["districts"]
        found["workshop"] = self.workshop.id
        found["training_data"] = "practice rounds of a workshop, in no district"
        found["leaves_out"] = found["leaves_out"].replace("; workshops", "")
        return found

    def filename(self, extension: str) -> str:
        """Name a file: ``healthwise-workshop-<name>-<date>.<extension>`` (ASCII only)."""
        name = slug(self.workshop.name) or str(self.workshop.id)
        return f"healthwise-workshop-{name}-{self.today.isoformat()}.{extension}"


def for_workshop(workshop: Workshop, registry, today: date | None = None) -> WorkshopExport:
    """Return the export of a workshop's results (the caller checked the reader's reach).

    :param workshop: the workshop.
    :param registry: the checklist registry.
    :param today: the day against which actions are overdue (the server's today).
    """
    return WorkshopExport([], registry, today or date.today(), workshop=workshop)


def round_figures(round_id: str, checklist: dict, sheets: list[dict]
                  ) -> tuple[list[dict], list[dict]]:
    """Return a round's module figures and checkpoint figures, as the rule of five allows.

    A sensitive checkpoint answered by fewer than
    :data:`~healthwise.districts.disclosure.MIN_GROUP` has blank counts (None) and counts
    in no module share.

    :param round_id: the round.
    :param checklist: the round's checklist as loaded from its data files.
    :param sheets: the round's answers by participant, as
        :func:`~healthwise.districts.disclosure.disclose` takes them.
    """
    figures = disclose(checklist, sheets)
    modules = [{"round_id": round_id, "module_id": share.module_id,
                "checkpoints": share.n_checkpoints, "answered": share.n_answered,
                "needing_action": share.n_action, "share": share.share}
               for share in figures.modules]
    checkpoints = []
    for module in checklist.get("modules", ()):
        for checkpoint in module.get("checkpoints", ()):
            if checkpoint.get("withdrawn"):
                continue
            count = figures.counts.get(checkpoint["id"])
            hidden = checkpoint["id"] in figures.withheld
            checkpoints.append({
                "round_id": round_id, "checkpoint_id": checkpoint["id"],
                "module_id": module["id"], "sensitive": bool(checkpoint.get("sensitive")),
                "answered": None if hidden else (count.answered if count else 0),
                "propose_action": None if hidden else (count.action if count else 0),
                "marked_priority": None if hidden else (count.priority if count else 0)})
    return modules, checkpoints


def slug(text: str) -> str:
    """Return a name's ASCII letters and digits, lower case, words joined by hyphens."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(word for word in re.split(r"[^a-z0-9]+", plain) if word)[:60].strip("-")


def _answer_sheets(round_id: str) -> list[dict]:
    """Return a round's answers grouped by participant, as ``disclose`` reads them: the
    action and the priority mark only (no names, no remarks)."""
    answers, responses = Answer.__table__, Response.__table__
    sheets: dict[str, dict] = {}
    rows = db.session.execute(
        select(answers.c.response_id, answers.c.checkpoint_id, answers.c.action,
               answers.c.priority)
        .join(responses, responses.c.id == answers.c.response_id)
        .where(answers.c.assessment_id == round_id, responses.c.assessment_id == round_id)
    ).all()  # one round's: a few hundred rows
    for response_id, checkpoint_id, action, priority in rows:
        sheets.setdefault(response_id, {"answers": {}})["answers"][checkpoint_id] = {
            "action": action, "priority": priority}
    return list(sheets.values())


def _temporary(write) -> IO[bytes]:
    """Return a nameless temporary file that ``write(file)`` filled, at its start."""
    out = tempfile.TemporaryFile(prefix="healthwise-export-")
    try:
        write(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _module_of(checklist: dict) -> dict[str, str]:
    """Return the module id of each checkpoint of a checklist."""
    return {checkpoint["id"]: module["id"] for module in checklist.get("modules", ())
            for checkpoint in module.get("checkpoints", ())}


def _by_name(district: District) -> tuple[str, int]:
    return (district.name, district.id)


def _server_version() -> str:
    try:
        return package_metadata.version("healthwise")
    except package_metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "unknown"
