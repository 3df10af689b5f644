"""``healthwise facility``: districts and facilities from the command line."""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from healthwise.extensions import db
from healthwise.facilities import importer, service
from healthwise.facilities.messages import line_message


@click.group("facility", cls=AppGroup)
def facility():
    """Districts and facilities."""


@facility.command("create")
@click.option("--district", required=True, help="District name (created if new).")
@click.option("--name", required=True, help="Facility name.")
def facility_create(district, name):
    """Create a facility and print its id.

    \b
    Example:
      healthwise facility create --district "North" --name "Lakeside Clinic"
    """
    try:
        item = service.create_facility(district, name)
    except service.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(item.id)


@facility.command("list")
def facility_list():
    """List the facilities of the districts, with their district.

    Workshops' practice facilities are in no district: `healthwise workshop list`
    shows them.

    \b
    Example:
      healthwise facility list
    """
    for item in service.district_facilities():
        click.echo(f"{item.id}\t{item.name}\t{item.district.name}")


@facility.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--district", default=None,
              help="District of lines that name none (for a DHIS2 file: of every facility).")
def facility_import(file, district):
    """Import districts and facilities from a CSV file, all or nothing.

    FILE is our format (columns district, name, type, code) or DHIS2's organisation
    units (id or uid, name, code, parent or path, level...), told apart by the first
    line. Districts the file names are created if new; importing the same file again
    changes nothing. A file with a bad line imports nothing and lists every bad line.

    \b
    Example:
      healthwise facility import facilities.csv
      healthwise facility import dhis2-export.csv --district "Mareba District"
    """
    parsed = importer.parse(file.read(importer.MAX_BYTES + 1), district)
    try:
        summary = service.apply_import(parsed, None, may_create_districts=True)
    except service.RegistryError as exc:
        db.session.rollback()
        problems = getattr(exc, "problems", None)
        with force_locale("en"):  # no request to choose a language from
            lines = [line_message(p) for p in problems] if problems else [str(exc)]
        for line in lines:
            click.echo(line, err=True)
        raise click.ClickException("Nothing was imported.") from None
    db.session.commit()
    click.echo(f"created {summary.created}, updated {summary.updated}, "
               f"unchanged {summary.unchanged}; districts created "
               f"{summary.districts_created}, updated {summary.districts_updated}")
