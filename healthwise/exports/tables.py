"""The export's tables and the files made of them: CSV (for spreadsheets), ZIP and SQLite.

Pure: rows in, files out; no Flask and no application database. The rows come from
:mod:`healthwise.exports.service`, which has put every figure through the rule of five.

Every table is described once (:data:`TABLES`): its columns and their types, its
primary key and its foreign keys. The CSV files and the SQLite file are both made from
that description, so they always have the same columns in the same order.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlite_utils

__all__ = [
    "CSV_TABLES",
    "TABLES",
    "Table",
    "build_sqlite",
    "csv_cell",
    "write_csv",
    "write_zip",
]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Table:
    """One table of the export: its columns (name and SQLite type), keys and description."""

    name: str
    columns: tuple[tuple[str, type], ...]
    pk: str | tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


TABLES: dict[str, Table] = {table.name: table for table in (
    Table("districts", (("id", int), ("name", str)), pk="id"),
    Table("facilities", (
        ("id", int), ("district_id", int), ("district", str), ("name", str), ("type", str),
        ("rounds", int), ("last_round_on", str)),
        pk="id", foreign_keys=(("district_id", "districts", "id"),)),
    Table("rounds", (
        ("id", str), ("facility_id", int), ("title", str), ("kind", str), ("status", str),
        ("started_on", str), ("previous_id", str), ("checklist_id", str),
        ("checklist_version", int), ("participants", int), ("created_at", str),
        ("reviewed", bool), ("reviewed_on", str), ("review_comment", str)),
        pk="id", foreign_keys=(("facility_id", "facilities", "id"),)),
    Table("action_items", (
        ("id", str), ("round_id", str), ("facility_id", int), ("checkpoint_id", str),
        ("module_id", str), ("action", str), ("due_on", str), ("cost", str), ("status", str),
        ("rank", int), ("overdue", bool)),
        pk="id", foreign_keys=(("round_id", "rounds", "id"),
                               ("facility_id", "facilities", "id"))),
    Table("module_figures", (
        ("round_id", str), ("module_id", str), ("checkpoints", int), ("answered", int),
        ("needing_action", int), ("share", float)),
        pk=("round_id", "module_id"), foreign_keys=(("round_id", "rounds", "id"),)),
    Table("checkpoint_figures", (
        ("round_id", str), ("checkpoint_id", str), ("module_id", str), ("sensitive", bool),
        ("answered", int), ("propose_action", int), ("marked_priority", int)),
        pk=("round_id", "checkpoint_id"), foreign_keys=(("round_id", "rounds", "id"),)),
)}

#: The tables delivered as CSV files (the districts are a column of facilities.csv).
CSV_TABLES = ("facilities", "rounds", "action_items", "module_figures", "checkpoint_figures")

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV
# injection"): =, +, - and @, and tab and carriage return, which some programs skip first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Views of the SQLite file: the questions a district asks most.
VIEWS = {
    "open_action_items": """
        SELECT * FROM action_items WHERE status IN ('planned', 'in_progress')""",
    "overdue_action_items": """
        SELECT * FROM action_items WHERE overdue = 1""",
    # The order of the district page: latest started, then latest made.
    "latest_round_per_facility": """
        SELECT id, facility_id, title, kind, status, started_on, previous_id, checklist_id,
               checklist_version, participants, created_at, reviewed, reviewed_on,
               review_comment FROM (
          SELECT rounds.*, ROW_NUMBER() OVER (
            PARTITION BY facility_id
            ORDER BY started_on DESC NULLS LAST, created_at DESC, id) AS place
          FROM rounds)
        WHERE place = 1""",
    "module_share_by_district": """
        SELECT facilities.district_id, districts.name AS district, module_figures.module_id,
               COUNT(module_figures.share) AS facilities_answered,
               AVG(module_figures.share) AS mean_share,
               MIN(module_figures.share) AS lowest_share,
               MAX(module_figures.share) AS highest_share
        FROM latest_round_per_facility AS latest
        JOIN facilities ON facilities.id = latest.facility_id
        JOIN districts ON districts.id = facilities.district_id
        JOIN module_figures ON module_figures.round_id = latest.id
        GROUP BY facilities.district_id, districts.name, module_figures.module_id""",
}


def csv_cell(value: Any) -> Any:
    """Return a value as a CSV cell: yes/no for booleans, blank for None, and text that
    a spreadsheet would run as a formula prefixed with an apostrophe.

    :param value: a value of a row.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[bytes], table: Table, rows: Iterable[Row]) -> None:
    """Write a table as CSV: UTF-8 with a byte order mark (so that Excel reads Arabic and
    accents right), a header line, one line per row, formulas defused.

    :param out: a binary file open for writing; it is left open.
    :param table: what the rows hold.
    :param rows: the rows, read once.
    """
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(table.column_names)
        names = table.column_names
        writer.writerows([csv_cell(row.get(name)) for name in names] for row in rows)
        text.flush()
    finally:
        text.detach()


def write_zip(out: IO[bytes], tables: Mapping[str, Iterable[Row]], prefix: str = "") -> None:
    """Write CSV files, one a table, into a ZIP archive, each streamed into the archive.

    :param out: a binary file open for writing (seekable or not).
    :param tables: rows by table name (names of :data:`TABLES`).
    :param prefix: put before each file name (e.g. the district's).
    """
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            with archive.open(f"{prefix}{name}.csv", "w", force_zip64=True) as entry:
                write_csv(entry, TABLES[name], rows)


#: Figures of this many checkpoints are kept before they are written (a few dozen rounds).
FIGURES_BATCH = 2000


def _insert_figures(db: sqlite_utils.Database,
                    figures: Iterable[tuple[list[Row], list[Row]]]) -> None:
    """Insert rounds' figures a batch of rounds at a time (one insert a round is slow)."""
    modules, checkpoints = [], []

    def flush() -> None:
        db.table("module_figures").insert_all(modules, pk=TABLES["module_figures"].pk)
        db.table("checkpoint_figures").insert_all(checkpoints,
                                                  pk=TABLES["checkpoint_figures"].pk)
        modules.clear()
        checkpoints.clear()

    for module_rows, checkpoint_rows in figures:
        modules.extend(module_rows)
        checkpoints.extend(checkpoint_rows)
        if len(checkpoints) >= FIGURES_BATCH:
            flush()
    flush()


def build_sqlite(path: Path, rows: Mapping[str, Iterable[Row]],
                 figures: Iterable[tuple[list[Row], list[Row]]],
                 metadata: Mapping[str, Any]) -> None:
    """Build the SQLite file of an export with sqlite-utils: tables with their keys,
    the views of :data:`VIEWS`, a full-text index of the actions and a ``metadata`` table.

    :param path: a new file (it must not exist yet or be empty).
    :param rows: rows of the tables other than the figures, by table name, each read once
        in the order of :data:`TABLES` (a table's parents first).
    :param figures: per round, its module figures and its checkpoint figures, so that
        each round's answers are counted once and then forgotten.
    :param metadata: what the file is (``exported_at``, ``server_version``...).
    """
    db = sqlite_utils.Database(path)
    try:
        # A new file that is thrown away if anything fails: no journal needed.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        for table in TABLES.values():
            db.table(table.name).create(dict(table.columns), pk=table.pk,
                                        foreign_keys=list(table.foreign_keys))
        for name, found in rows.items():
            db.table(name).insert_all(found, pk=TABLES[name].pk, batch_size=500)
        _insert_figures(db, figures)
        for name, sql in VIEWS.items():
            db.create_view(name, " ".join(sql.split()))
        db.table("action_items").enable_fts(["action"], create_triggers=False)
        db.table("metadata").insert_all(
            ({"key": key, "value": str(value)} for key, value in metadata.items()), pk="key")
        db.index_foreign_keys()
    finally:
        db.close()

