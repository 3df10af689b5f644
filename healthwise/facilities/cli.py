"""``healthwise facility``: districts and facilities from the command line."""

import click
from flask.cli import AppGroup

from healthwise.extensions import db
from healthwise.facilities import service


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
