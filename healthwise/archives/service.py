"""A facility's archive: its whole history as one JSON file, to move it or keep it.

The file holds every synced record of the facility, with its revision, its merge
clock and its open conflicts, and the history of every accepted change. Importing it
on another server (or the same one) gives the same records and history; the changes
get new clock values there, so that the phones of that server pull them. Importing
the same file twice changes nothing: records are found by their ids and changes by
their change_id. An archive is all or nothing: a file that does not fit imports nothing.

It carries participants' names and remarks, like the database it comes from: it is made
and read by the server's operator on the command line, never sent to a page.
Services only flush: the command that calls them commits.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, insert, select, union_all, update
from sqlalchemy.exc import DBAPIError

from healthwise.assessments.models import RECORD_MODELS, Change, SyncClock
from healthwise.assessments.store import TYPE_ORDER, chunks, lock_clock
from healthwise.assessments.tallies import recount
from healthwise.extensions import db
from healthwise.facilities.models import Facility
from healthwise.timeutil import utcnow
from healthwise.validation import UUID_PATTERN

FORMAT = "healthwise-facility-archive"
VERSION = 1


class ArchiveError(ValueError):
    """A file that cannot be imported as it is; the message says why."""


@dataclass
class Imported:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: int = 0


def _encode(row: dict, table) -> dict:
    return {c.name: (row[c.name].isoformat() if isinstance(row[c.name], datetime)
                     else row[c.name]) for c in table.columns}


#: The Python type each kind of column holds in an archive (dates are ISO strings).
KINDS = ((Boolean, bool), (Integer, int), (DateTime, str), (String, str))


def _decode(item: dict, table, where: str) -> dict:
    """Return one archived row as the table stores it; refuse a row that does not fit."""
    names = {c.name for c in table.columns}
    if not isinstance(item, dict) or set(item) != names:
        raise ArchiveError(f"{where}: not a row of {table.name} (columns differ).")
    row = dict(item)
    for column in table.columns:
        value = row[column.name]
        if value is None:
            if not column.nullable and not isinstance(column.type, JSON):
                raise ArchiveError(f"{where}: {column.name} is missing.")
            continue
        wanted = next((kind for sql, kind in KINDS if isinstance(column.type, sql)), None)
        if wanted is not None and type(value) is not wanted:
            raise ArchiveError(f"{where}: {column.name} is not a {wanted.__name__}.")
        if isinstance(column.type, String) and column.type.length \
                and len(value) > column.type.length:
            raise ArchiveError(f"{where}: {column.name} is too long.")
        if isinstance(column.type, DateTime):
            try:
                row[column.name] = datetime.fromisoformat(row[column.name])
            except (TypeError, ValueError):
                raise ArchiveError(f"{where}: {column.name} is not a date and time.") from None
    return row


def _record_ids(facility_id: int):
    """Return a query of (type, id) of every record of a facility."""
    parts = []
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        parts.append(select(table.c.id).where(table.c.facility_id == facility_id))
    return union_all(*parts)


def export_facility(facility: Facility) -> dict:
    """Return the archive of a facility: its records and their history, as JSON data."""
    records = {}
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        rows = db.session.execute(select(table).where(table.c.facility_id == facility.id)
                                  .order_by(table.c.seq, table.c.id)).mappings()
        records[record_type] = [_encode(row, table) for row in rows]
    changes = Change.__table__
    ids = _record_ids(facility.id).subquery()
    history = db.session.execute(select(changes).where(changes.c.record_id.in_(select(ids)))
                                 .order_by(changes.c.seq)).mappings()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "facility": {"name": facility.name, "kind": facility.kind, "code": facility.code,
                     "external_id": facility.external_id,
                     "district": facility.district.name if facility.district else None},
        "records": records,
        "history": [{k: v for k, v in _encode(row, changes).items() if k != "seq"}
                    for row in history],
    }


def _check_envelope(archive) -> None:
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise ArchiveError("This is not a HealthWISE facility archive.")
    if archive.get("version") != VERSION:
        raise ArchiveError(f"This archive is of version {archive.get('version')!r}; this "
                           f"server reads version {VERSION}.")
    if not isinstance(archive.get("records"), dict) or not isinstance(archive.get("history"),
                                                                      list):
        raise ArchiveError("The archive has no records or no history.")
    unknown = set(archive["records"]) - set(TYPE_ORDER)
    if unknown:
        raise ArchiveError(f"The archive holds records this server does not know: "
                           f"{', '.join(sorted(unknown))}.")


def _existing(record_type: str, ids: list[str]) -> dict[str, dict]:
    table = RECORD_MODELS[record_type].__table__
    found = {}
    for chunk in chunks(ids, 500):
        for row in db.session.execute(select(table.c.id, table.c.facility_id, table.c.rev)
                                      .where(table.c.id.in_(chunk))).mappings():
            found[row["id"]] = dict(row)
    return found


def _parents(table) -> dict[str, str]:
    """Return the record columns of a table that point at another record type's table."""
    by_table = {RECORD_MODELS[t].__table__.name: t for t in TYPE_ORDER}
    return {fk.parent.name: by_table[fk.column.table.name] for fk in table.foreign_keys
            if fk.column.table.name in by_table}


def import_facility(archive: dict, facility: Facility) -> Imported:
    """Import an archive into a facility; return what it did (nothing twice).

    A record of the file that the facility already holds is kept as it is, unless the
    file holds a later revision of it, which replaces it.

    :param archive: the archive's JSON data (see :func:`export_facility`).
    :param facility: the facility to import into (its records keep their ids).
    :raises ArchiveError: if the file is not an archive, a row does not fit, a record
        belongs to another facility of this server, or a record's parent is missing.
        Nothing is written then.
    """
    _check_envelope(archive)
    # The whole import is one writer, like a sync batch: clock values stay in order.
    clock = lock_clock()
    done = Imported()
    rows: dict[str, list[dict]] = {}
    known: dict[str, set[str]] = {}
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        items = archive["records"].get(record_type) or []
        if not isinstance(items, list):
            raise ArchiveError(f"records.{record_type} is not a list.")
        rows[record_type] = []
        for n, item in enumerate(items, start=1):
            row = _decode(item, table, f"records.{record_type}[{n}]")
            if not isinstance(row["id"], str) or not UUID_PATTERN.match(row["id"]):
                raise ArchiveError(f"records.{record_type}[{n}]: the id is not a UUID.")
            row["facility_id"] = facility.id
            rows[record_type].append(row)
        known[record_type] = {r["id"] for r in rows[record_type]}
    # Parents: in the file, or records of this facility already.
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        for column, parent_type in _parents(table).items():
            wanted = {r[column] for r in rows[record_type]} - known[parent_type] - {None}
            held = _existing(parent_type, sorted(wanted))
            missing = [i for i in wanted if held.get(i, {}).get("facility_id") != facility.id]
            if missing:
                raise ArchiveError(f"A {record_type} points at a {parent_type} that is not "
                                   f"in the file nor in this facility ({missing[0]}).")
    history = archive["history"]
    changes = Change.__table__
    decoded = [_decode({**item, "seq": 0} if isinstance(item, dict) else item, changes,
                       f"history[{n}]") for n, item in enumerate(history, start=1)]
    all_ids = set().union(*known.values())
    stray = next((c for c in decoded if c["record_id"] not in all_ids), None)
    if stray is not None:
        raise ArchiveError(f"The history names a record that is not in the file "
                           f"({str(stray['record_id'])[:36]}).")
    seen = set()
    for chunk in chunks([c["change_id"] for c in decoded], 500):
        seen |= set(db.session.scalars(select(changes.c.change_id)
                                       .where(changes.c.change_id.in_(chunk))))
    last_seq: dict[str, int] = {}
    new_changes = []
    for change in decoded:
        if change["change_id"] in seen:
            continue
        seen.add(change["change_id"])
        clock += 1
        new_changes.append({**change, "seq": clock, "token_id": None})
        last_seq[change["record_id"]] = clock
    try:
        _write(rows, known, new_changes, last_seq, clock, facility, done)
    except DBAPIError as exc:
        raise ArchiveError(f"The database cannot store this archive: "
                           f"{str(exc.orig).splitlines()[0][:200]}") from None
    return done


def _write(rows, known, new_changes, last_seq, clock, facility, done) -> None:
    """Insert new records, replace older ones, append the history and advance the clock."""
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        held = _existing(record_type, sorted(known[record_type]))
        fresh, newer = [], []
        for row in rows[record_type]:
            found = held.get(row["id"])
            if found is not None and found["facility_id"] != facility.id:
                raise ArchiveError(f"The {record_type} {row['id']} belongs to another "
                                   f"facility of this server.")
            if found is not None and found["rev"] >= row["rev"]:
                done.unchanged += 1
                continue
            if row["id"] not in last_seq:
                clock += 1
                last_seq[row["id"]] = clock
            row["seq"] = last_seq[row["id"]]
            (newer if found is not None else fresh).append(row)
        if fresh:
            db.session.execute(insert(table), fresh)
        for row in newer:
            db.session.execute(update(table).where(table.c.id == row["id"])
                               .values({k: v for k, v in row.items() if k != "id"}))
        done.created += len(fresh)
        done.updated += len(newer)
    if new_changes:
        db.session.execute(insert(Change.__table__), new_changes)
    done.changes = len(new_changes)
    table = SyncClock.__table__
    db.session.execute(update(table).where(table.c.id == 1).values(value=clock))
    if done.created or done.updated:
        recount([facility.id])  # the district overview reads the rounds' tallies
