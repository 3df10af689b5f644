"""The ``healthwise`` command: set up, serve, issue tokens and codes, run workshops, manage
languages."""

import os
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from healthwise.extensions import db


def _create_app():
    from healthwise import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def main():
    """HealthWISE Mobile: checklists, offline sync and action plans.

    \b
    Examples:
      healthwise serve                      # set up and serve on http://127.0.0.1:5000
      healthwise token create --facility 1  # a device token for scripts
      healthwise code create --facility 1   # an enrolment code for phones
      healthwise user create --email admin@example.org --role admin
      healthwise workshop create --trainer tom@example.org --name "Mombasa training"
      healthwise i18n check                 # are all catalogues complete?
    """


@main.command("init")
@with_appcontext
def init_command():
    """Migrate the database and load demo data on first start.

    \b
    Example:
      healthwise init
    """
    initialise()


def initialise() -> None:
    """Bring the schema up to date; load the demo data into an empty database."""
    from flask_migrate import upgrade

    from healthwise import demo
    from healthwise.checklists.views import registry

    upgrade()
    if current_app.config["DEMO_DATA"] and not demo.is_loaded():
        ids = demo.load(registry())
        from healthwise.auth.service import create_enrolment_code

        _, code = create_enrolment_code(ids["facility_ids"][0], uses=200,
                                        ttl=timedelta(days=30))
        db.session.commit()
        click.echo(f"Demo data loaded: district {ids['district_id']}, facilities "
                   f"{ids['facility_ids']}, baseline round {ids['assessment_id']}.")
        click.echo(f"Enrolment code for {demo.FACILITIES[0]}: {code} (200 phones, 30 days)")
        import secrets

        from healthwise.auth.service import create_user

        password = secrets.token_urlsafe(9)
        create_user("manager@demo.local", password, "manager", [ids["district_id"]])
        db.session.commit()
        click.echo(f"Demo district manager: manager@demo.local / {password} at /manage")


@main.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"),
              show_default="HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), type=int,
              show_default="PORT or 5000")
@click.option("--workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", 3)), type=int,
              show_default="WEB_CONCURRENCY or 3")
@with_appcontext
def serve_command(host, port, workers):
    """Set up the database, then serve with gunicorn (a production server).

    Migrations and demo data run once here, before any worker starts. Use
    ``--host 0.0.0.0`` to let phones on the same Wi-Fi reach a laptop.

    \b
    Example:
      healthwise serve --host 0.0.0.0 --port 8000
    """
    initialise()
    from healthwise.checklists.views import prepare_payloads

    click.echo(f"Prepared {prepare_payloads()} compressed checklists for the phones.")
    db.session.remove()
    db.engine.dispose()
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", "8", "--bind", f"{host}:{port}",
            "--timeout", "60", "--graceful-timeout", "20", "--access-logfile", "-",
            "--forwarded-allow-ips", "127.0.0.1", "wsgi:app"]
    click.echo(f"Serving HealthWISE Mobile on http://{host}:{port} with {workers} workers")
    from healthwise.config import ROOT

    os.chdir(ROOT)
    os.execv(sys.executable, args)


@main.group()
def token():
    """Device tokens for phones and scripts."""


@token.command("create")
@click.option("--facility", "facility_id", type=int, required=True, help="Facility id.")
@click.option("--name", default="script", help="A label for the token.")
@with_appcontext
def token_create(facility_id, name):
    """Create a facility-scoped device token and print it (shown once).

    \b
    Example:
      healthwise token create --facility 1 --name "sync script"
    """
    from healthwise.auth.service import create_device_token
    from healthwise.validation import name_problem

    problem = name_problem(name, optional=True)
    if problem:
        raise click.ClickException(problem)
    try:
        _, secret = create_device_token(facility_id, name)
    except LookupError:
        raise click.ClickException(f"There is no facility {facility_id}.") from None
    db.session.commit()
    click.echo(secret)


@main.group()
def code():
    """Enrolment codes that phones redeem to join a facility."""


@code.command("create")
@click.option("--facility", "facility_id", type=int, required=True, help="Facility id.")
@click.option("--uses", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="How many phones may use it.")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True,
              help="Days until it expires.")
@with_appcontext
def code_create(facility_id, uses, days):
    """Create an enrolment code for a facility and print it.

    \b
    Example:
      healthwise code create --facility 1 --uses 40 --days 2
    """
    from healthwise.auth.service import create_enrolment_code

    try:
        _, raw = create_enrolment_code(facility_id, uses=uses, ttl=timedelta(days=days))
    except LookupError:
        raise click.ClickException(f"There is no facility {facility_id}.") from None
    db.session.commit()
    click.echo(raw)


@main.group()
def user():
    """People who sign in to the web pages: admins, district managers, trainers."""


@user.command("create")
@click.option("--email", required=True, help="Their email address; they sign in with it.")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "trainer"]),
              help="admin: everything; manager: their districts; trainer: workshops.")
@click.option("--district", "district_ids", type=int, multiple=True,
              help="A district a manager looks after (repeatable; managers only).")
@with_appcontext
def user_create(email, role, district_ids):
    """Create a person who signs in at /manage with a password.

    The password is asked for twice, or read from HEALTHWISE_PASSWORD for
    scripts. It needs at least 8 characters and is stored as a scrypt hash.
    The first account is an admin.

    \b
    Examples:
      healthwise user create --email admin@example.org --role admin
      healthwise user create --email amina@example.org --role manager --district 1 --district 2
    """
    from healthwise.auth.service import AccountError, create_user

    password = os.environ.get("HEALTHWISE_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        created = create_user(email, password, role, district_ids)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {created.role} {created.email} (id {created.id}).")


@user.command("list")
@with_appcontext
def user_list():
    """List the people who can sign in, with their role and districts.

    \b
    Example:
      healthwise user list
    """
    from sqlalchemy import select

    from healthwise.auth.models import User

    for item in db.session.scalars(select(User).order_by(User.id)):
        districts = ", ".join(d.name for d in item.districts)
        click.echo(f"{item.id}\t{item.email}\t{item.role}\t{districts}")


@main.group()
def facility():
    """Districts and facilities."""


@facility.command("create")
@click.option("--district", required=True, help="District name (created if new).")
@click.option("--name", required=True, help="Facility name.")
@with_appcontext
def facility_create(district, name):
    """Create a facility and print its id.

    \b
    Example:
      healthwise facility create --district "North" --name "Lakeside Clinic"
    """
    from sqlalchemy import select

    from healthwise.districts.models import District, Facility
    from healthwise.validation import name_problem

    for label, value in (("district", district), ("facility", name)):
        problem = name_problem(value)
        if problem:
            raise click.ClickException(f"Bad {label} name: {problem}")
    found = db.session.scalar(select(District).where(District.name == district))
    found = found or District(name=district)
    item = Facility(name=name, district=found)
    db.session.add(item)
    db.session.commit()
    click.echo(item.id)


@facility.command("list")
@with_appcontext
def facility_list():
    """List the facilities of the districts, with their district.

    Workshops' practice facilities are in no district: `healthwise workshop list`
    shows them.

    \b
    Example:
      healthwise facility list
    """
    from sqlalchemy import select

    from healthwise.districts.models import Facility

    for item in db.session.scalars(select(Facility).where(Facility.district_id.is_not(None))
                                   .order_by(Facility.id)):
        click.echo(f"{item.id}\t{item.name}\t{item.district.name}")


@main.group()
def workshop():
    """Trainers' workshops: each has its own practice facility, in no district."""


@workshop.command("create")
@click.option("--trainer", "email", required=True, help="The trainer's email address.")
@click.option("--name", required=True, help="What participants see on their phones.")
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First day (default: today).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last day (default: the first day).")
@with_appcontext
def workshop_create(email, name, starts, ends):
    """Create a workshop for a trainer; print its id and its practice facility's id.

    Its join code is an enrolment code of the practice facility: the trainer
    makes one on the workshop's page, or `healthwise code create --facility ID`.

    \b
    Example:
      healthwise workshop create --trainer tom@example.org --name "Mombasa training" \\
        --starts 2026-12-01 --ends 2026-12-03
    """
    from datetime import date

    from healthwise.workshops.service import WorkshopError, create_workshop, find_trainer

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
@with_appcontext
def workshop_list():
    """List workshops: id, name, dates, trainer, practice facility id.

    \b
    Example:
      healthwise workshop list
    """
    from sqlalchemy import select

    from healthwise.workshops.models import Workshop

    for item in db.session.scalars(select(Workshop).order_by(Workshop.id)):
        click.echo(f"{item.id}\t{item.name}\t{item.starts_on}\t{item.ends_on}\t"
                   f"{item.trainer.email}\t{item.facility_id}")


@main.group()
def i18n():
    """Translation catalogues (wraps pybabel).

    \b
    Example, adding a language (sw = Swahili):
      healthwise i18n extract && healthwise i18n update --lang sw
      # translate translations/sw/LC_MESSAGES/*.po with any PO editor, then
      healthwise i18n compile && healthwise i18n check
    """


@i18n.command("extract", with_appcontext=False)
def i18n_extract():
    """Extract strings into translations/{messages,checklists}.pot.

    \b
    Example:
      healthwise i18n extract
    """
    from healthwise.languages import catalogues

    for domain in catalogues.SOURCES:
        click.echo(catalogues.extract(domain))


@i18n.command("update", with_appcontext=False)
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
def i18n_update(langs):
    """Merge the templates into each language's catalogues (creates new ones).

    \b
    Example:
      healthwise i18n update --lang fr
    """
    from healthwise.languages import catalogues

    for domain in catalogues.SOURCES:
        catalogues.update(domain, list(langs) or None)


@i18n.command("compile", with_appcontext=False)
def i18n_compile():
    """Compile the catalogues to .mo files.

    \b
    Example:
      healthwise i18n compile
    """
    from healthwise.languages import catalogues

    catalogues.compile_all()


@i18n.command("check", with_appcontext=False)
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
def i18n_check(langs):
    """Exit non-zero on a missing, fuzzy, untranslated or orphaned string or placeholder.

    \b
    Example:
      healthwise i18n check --lang ar
    """
    from healthwise.languages import catalogues

    problems = catalogues.check(list(langs) or None)
    for line in problems[:200]:
        click.echo(line, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the catalogues.")
    click.echo("All catalogues complete.")



if __name__ == "__main__":
    main()
