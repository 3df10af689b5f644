"""``healthwise districts``: upkeep of what the district pages read."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from healthwise.access.service import valid_id
from healthwise.assessments import tallies
from healthwise.assessments.store import lock_clock
from healthwise.extensions import db
from healthwise.facilities.models import Facility


@click.group("districts", cls=AppGroup)
def districts():
    """District overviews: the tallies their figures come from."""


@districts.command("recount")
@click.option("--district", "district_id", type=int, default=None,
              help="Only this district's rounds  [default: every round]")
def recount_command(district_id):
    """Count every round's answers again into the tallies the overview reads.

    The tallies are kept up to date as phones sync; this rebuilds them from the answers
    (after restoring a backup or editing the database by hand). Phones' syncs wait
    while it runs.

    \b
    Example:
      healthwise districts recount --district 3
    """
    facility_ids = None
    if district_id is not None:
        facility_ids = list(db.session.scalars(
            select(Facility.id).where(Facility.district_id == district_id))
            if valid_id(district_id) else ())
        if not facility_ids:
            raise click.ClickException(f"There is no district {district_id} with facilities.")
    lock_clock()
    counted = tallies.recount(facility_ids)
    db.session.commit()
    click.echo(f"Counted the answers of {counted} rounds.")
