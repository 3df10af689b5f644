"""``healthwise user``: the people who sign in to the web pages."""

import os

import click
from flask import current_app
from flask.cli import AppGroup

from healthwise.auth.service import (
    DEMO_MANAGER_EMAIL,
    AccountError,
    all_users,
    create_user,
    find_user,
    recover_demo_password,
    reset_password,
)
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


@user.command("reset-password")
@click.option("--email", required=True, help="The address they sign in with.")
def user_reset_password(email):
    """Give a person a new random password and sign them out everywhere.

    Prints the new password once (the database keeps only its hash): give it to
    them, and they can change it at /manage/password after signing in.

    \b
    Example:
      healthwise user reset-password --email amina@example.org
    """
    person = find_user(email)
    if person is None:
        raise click.ClickException(f"There is no account for {email.strip()}.")
    password = reset_password(person)
    db.session.commit()
    click.echo(f"New password for {person.email}: {password}")


@user.command("demo-password")
def user_demo_password():
    """Print the demo district manager's email address and password again.

    The password is derived from the instance's secret key (HMAC), so nothing but
    its hash is stored; it stays the same while the key does, until someone changes it.

    \b
    Example:
      healthwise user demo-password
    """
    try:
        password = recover_demo_password(current_app.config["SECRET_KEY"])
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Demo district manager: {DEMO_MANAGER_EMAIL} / {password} at /manage")
