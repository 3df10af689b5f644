"""``healthwise token`` and ``healthwise code``: device tokens and enrolment codes."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from healthwise.devices.service import create_device_token, create_enrolment_code
from healthwise.extensions import db
from healthwise.validation import name_problem


@click.group("token", cls=AppGroup)
def token():
    """Device tokens for phones and scripts."""


@token.command("create")
@click.option("--facility", "facility_id", type=int, required=True, help="Facility id.")
@click.option("--name", default="script", help="A label for the token.")
def token_create(facility_id, name):
    """Create a facility-scoped device token and print it (shown once).

    \b
    Example:
      healthwise token create --facility 1 --name "sync script"
    """
    problem = name_problem(name, optional=True)
    if problem:
        raise click.ClickException(problem)
    try:
        _, secret = create_device_token(facility_id, name)
    except LookupError:
        raise click.ClickException(f"There is no facility {facility_id}.") from None
    db.session.commit()
    click.echo(secret)


@click.group("code", cls=AppGroup)
def code():
    """Enrolment codes that phones redeem to join a facility."""


@code.command("create")
@click.option("--facility", "facility_id", type=int, required=True, help="Facility id.")
@click.option("--uses", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="How many phones may use it.")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True,
              help="Days until it expires.")
def code_create(facility_id, uses, days):
    """Create an enrolment code for a facility and print it.

    \b
    Example:
      healthwise code create --facility 1 --uses 40 --days 2
    """
    try:
        _, raw = create_enrolment_code(facility_id, uses=uses, ttl=timedelta(days=days))
    except LookupError:
        raise click.ClickException(f"There is no facility {facility_id}.") from None
    db.session.commit()
    click.echo(raw)
