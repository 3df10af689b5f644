"""``healthwise export``: a district's export files from the command line."""

import os
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from healthwise.access.service import valid_id
from healthwise.checklists.registry import registry
from healthwise.exports import service, tables
from healthwise.extensions import db
from healthwise.facilities.models import District, Workshop


@click.group("export", cls=AppGroup)
def export():
    """District (and workshop) exports: no names, remarks or people responsible; the rule of
    five applied."""


def _scope(district_id: int | None, every: bool,
           workshop_id: int | None = None) -> service.DistrictExport:
    """Return the export of one district, of every district, or of one workshop."""
    if sum((district_id is not None, every, workshop_id is not None)) != 1:
        raise click.UsageError("Give either --district ID or --all (or --workshop ID).")
    if workshop_id is not None:
        workshop = db.session.get(Workshop, workshop_id) if valid_id(workshop_id) else None
        if workshop is None:
            raise click.ClickException(f"There is no workshop {workshop_id}.")
        return service.for_workshop(workshop, registry())
    query = select(District).order_by(District.name, District.id)
    if district_id is not None:
        query = query.where(District.id == district_id)
    # An id past the column's range is no district (PostgreSQL would refuse to compare).
    found = list(db.session.scalars(query)) if every or valid_id(district_id) else []
    if not found:
        raise click.ClickException(
            f"There is no district {district_id}." if district_id is not None
            else "There is no district yet.")
    return service.for_districts(found, registry())


def _write(out: Path, write) -> None:
    """Write a file beside ``out`` and move it there once complete (never half a file)."""
    out = out.resolve()
    handle, name = tempfile.mkstemp(prefix=".healthwise-export-", dir=out.parent)
    os.close(handle)
    partial = Path(name)
    try:
        write(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _out_option(extension: str):
    return click.option(
        "--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help=f"Where to write (default: healthwise-<district>-<date>.{extension} here). "
             "An existing file is replaced.")


_district = click.option("--district", "district_id", type=int, metavar="ID",
                         help="The district's id (`healthwise facility list`).")
_every = click.option("--all", "every", is_flag=True, help="Every district.")
_workshop = click.option("--workshop", "workshop_id", type=int, metavar="ID",
                         help="A workshop's results instead (`healthwise workshop list`).")


@export.command("sqlite")
@_district
@_every
@_workshop
@_out_option("sqlite")
def export_sqlite(district_id, every, workshop_id, out):
    """Write one district's (or every district's) export as a SQLite file.

    Tables districts, facilities, rounds, action_items, module_figures and
    checkpoint_figures, views (open and overdue actions, the latest round of each
    facility, module shares by district), a full-text index of the actions and a
    metadata table.

    \b
    Example:
      healthwise export sqlite --district 1 --out north.sqlite
      healthwise export sqlite --all
      healthwise export sqlite --workshop 3
    """
    found = _scope(district_id, every, workshop_id)
    out = out or Path(found.filename("sqlite"))

    def write(path: Path) -> None:
        path.unlink()  # sqlite-utils makes the file anew
        found.write_sqlite(path)

    _write(out, write)
    click.echo(f"Wrote {out}")


@export.command("csv")
@_district
@_every
@_workshop
@_out_option("zip")
def export_csv(district_id, every, workshop_id, out):
    """Write one district's (or every district's) CSV tables into a ZIP archive.

    One CSV file per table (facilities, rounds, action_items, module_figures,
    checkpoint_figures), UTF-8 with a byte order mark so that Excel reads every
    language; cells a spreadsheet would run as formulas start with an apostrophe.

    \b
    Example:
      healthwise export csv --district 1 --out north.zip
      healthwise export csv --workshop 3
    """
    found = _scope(district_id, every, workshop_id)
    out = out or Path(found.filename("zip"))

    def write(path: Path) -> None:
        with path.open("wb") as handle:
            found.write_zip(handle)

    _write(out, write)
    click.echo(f"Wrote {out} ({', '.join(f'{name}.csv' for name in tables.CSV_TABLES)})")
