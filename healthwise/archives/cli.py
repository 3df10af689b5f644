"""``healthwise archive``: a facility's whole history in one JSON file, out and back in."""

import json
import os
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from healthwise.access.service import valid_id
from healthwise.archives import service
from healthwise.extensions import db
from healthwise.facilities import service as registry
from healthwise.facilities.models import KINDS, District, Facility


@click.group("archive", cls=AppGroup)
def archive():
    """A facility's records and history as one JSON file, with participants' names.

    For the server's operator: to move a facility to another server or keep its
    history. Keep the files as safe as the database itself.
    """


def _facility(facility_id: int) -> Facility:
    found = db.session.get(Facility, facility_id) if valid_id(facility_id) else None
    if found is None:
        raise click.ClickException(f"There is no facility {facility_id}.")
    return found


@archive.command("export")
@click.option("--facility", "facility_id", type=int, required=True, help="The facility's id.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_command(facility_id: int, out: Path):
    """Write a facility's archive to OUT (written whole, then moved into place).

    \b
    Example:
      healthwise archive export --facility 3 lakeside.json
    """
    data = service.export_facility(_facility(facility_id))
    fd, partial = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    os.replace(partial, out)
    records = sum(len(rows) for rows in data["records"].values())
    click.echo(f"Wrote {out}: {records} records, {len(data['history'])} changes.")


@archive.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--facility", "facility_id", type=int, default=None,
              help="Import into this facility.")
@click.option("--district", default=None,
              help="Import into the facility of the file's name in this district (created "
                   "if new).")
def import_command(file, facility_id: int | None, district: str | None):
    """Import a facility's archive, all or nothing; importing it again changes nothing.

    \b
    Example:
      healthwise archive import lakeside.json --district "North"
    """
    if (facility_id is None) == (district is None):
        raise click.UsageError("Give either --facility ID or --district NAME.")
    try:
        data = json.loads(file.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"The file is not JSON: {exc}") from None
    try:
        if facility_id is not None:
            target = _facility(facility_id)
        else:
            target = _named_facility(data, district)
        done = service.import_facility(data, target)
    except (service.ArchiveError, registry.RegistryError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Facility {target.id} ({target.name}): {done.created} records created, "
               f"{done.updated} updated, {done.unchanged} unchanged, {done.changes} changes "
               f"added to the history.")


def _named_facility(data, district_name: str) -> Facility:
    """Return the facility of the archive's name in a district, creating it if new."""
    about = data.get("facility") if isinstance(data, dict) else None
    name = about.get("name") if isinstance(about, dict) else None
    if not isinstance(name, str):
        raise service.ArchiveError("The archive names no facility: use --facility ID.")
    found = db.session.scalar(select(Facility).join(District)
                              .where(District.name == district_name, Facility.name == name))
    if found is not None:
        return found
    kind = about.get("kind") if about.get("kind") in KINDS else None
    return registry.create_facility(district_name, name, kind)
