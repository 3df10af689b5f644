"""``healthwise user``: the people who sign in to the web pages."""

import os

import click
from flask.cli import AppGroup

from healthwise.auth.service import AccountError, all_users, create_user
from healthwise.extensions import db


@click.group("user", cls=AppGroup)
def user():
    """People who sign in to the web pages: admins, district managers, trainers."""


@user.command("create")
@click.option("--email", required=True, help="Their email address; they sign in with it.")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "trainer"]),
              help="admin: everything; manager: their districts; trainer: workshops.")
@click.option("--district", "district_ids", type=int, multiple=True,
              help="A district a manager looks after (repeatable; managers only).")
def user_create(email, role, district_ids):
    """Create a person who signs in at /manage with a password.

    The password is asked for twice, or read from HEALTHWISE_PASSWORD for
    scripts. It needs at least 8 characters and is stored as a scrypt hash.

    \b
    Examples:
      healthwise user create --email admin@example.org --role admin
      healthwise user create --email amina@example.org --role manager --district 1 --district 2
    """
    password = os.environ.get("HEALTHWISE_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        created = create_user(email, password, role, district_ids)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {created.role} {created.email} (id {created.id}).")


@user.command("list")
def user_list():
    """List the people who can sign in, with their role and districts.

    \b
    Example:
      healthwise user list
    """

    for item in all_users():
        districts = ", ".join(d.name for d in item.districts)
        click.echo(f"{item.id}\t{item.email}\t{item.role}\t{districts}")
