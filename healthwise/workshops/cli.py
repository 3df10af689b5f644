"""``healthwise workshop``: trainers' workshops from the command line."""

from datetime import date

import click
from flask.cli import AppGroup

from healthwise.access.service import valid_id
from healthwise.extensions import db
from healthwise.facilities.models import Workshop
from healthwise.workshops.service import (
    WorkshopError,
    all_workshops,
    create_workshop,
    find_trainer,
    start_round,
)


@click.group("workshop", cls=AppGroup)
def workshop():
    """Trainers' workshops: each has its own practice facility, in no district."""


@workshop.command("create")
@click.option("--trainer", "email", required=True, help="The trainer's email address.")
@click.option("--name", required=True, help="What participants see on their phones.")
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First day (default: today).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last day (default: the first day).")
def workshop_create(email, name, starts, ends):
    """Create a workshop for a trainer; print its id and its practice facility's id.

    Its join code is an enrolment code of the practice facility: the trainer
    makes one on the workshop's page, or `healthwise code create --facility ID`.

    \b
    Example:
      healthwise workshop create --trainer tom@example.org --name "Mombasa training" \\
        --starts 2026-12-01 --ends 2026-12-03
    """
    try:
        created = create_workshop(find_trainer(email), name,
                                  starts.date() if starts else date.today(),
                                  ends.date() if ends else None)
    except WorkshopError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created workshop {created.id} \"{created.name}\" for {created.trainer.email}, "
               f"practice facility {created.facility_id}.")


@workshop.command("list")
def workshop_list():
    """List workshops: id, name, dates, trainer, practice facility id.

    \b
    Example:
      healthwise workshop list
    """
    for item in all_workshops():
        click.echo(f"{item.id}\t{item.name}\t{item.starts_on}\t{item.ends_on}\t"
                   f"{item.trainer.email}\t{item.facility_id}")


@workshop.command("start-round")
@click.option("--workshop", "workshop_id", type=int, required=True, help="The workshop's id.")
@click.option("--title", required=True, help="What the phones show.")
@click.option("--module", "modules", multiple=True,
              help="A module to walk (repeat it; none: the whole checklist).")
def workshop_start_round(workshop_id, title, modules):
    """Start a practice round, as the workshop's trainer, that every phone joins.

    \b
    Example:
      healthwise workshop start-round --workshop 1 --title "Ward walk" --module hazards
    """
    found = db.session.get(Workshop, workshop_id) if valid_id(workshop_id) else None
    if found is None:
        raise click.ClickException(f"There is no workshop {workshop_id}.")
    try:
        round_id = start_round(found, found.trainer.email, title, list(modules))
    except WorkshopError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(round_id)
