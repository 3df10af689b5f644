"""The ``healthwise`` command: set up and serve here; each feature adds its own group."""

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
      healthwise languages check            # are all catalogues complete?
      healthwise backup /srv/backups/       # a consistent copy while phones sync
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
    from healthwise.checklists.registry import registry

    upgrade()
    if current_app.config["DEMO_DATA"] and not demo.is_loaded():
        ids = demo.load(registry())
        from healthwise.devices.service import create_enrolment_code

        _, code = create_enrolment_code(ids["facility_ids"][0], uses=200,
                                        ttl=timedelta(days=30))
        db.session.commit()
        click.echo(f"Demo data loaded: district {ids['district_id']}, facilities "
                   f"{ids['facility_ids']}, baseline round {ids['assessment_id']}.")
        click.echo(f"Enrolment code for {demo.FACILITIES[0]}: {code} (200 phones, 30 days)")
        from healthwise.auth.service import create_demo_manager

        manager, password = create_demo_manager(ids["district_id"],
                                                current_app.config["SECRET_KEY"])
        db.session.commit()
        click.echo(f"Demo district manager: {manager.email} / {password} at /manage "
                   "(again: healthwise user demo-password)")


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
    from healthwise.checklists.registry import prepare_payloads

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


def _add_feature_commands() -> None:
    """Add each feature's command group (its ``cli.py``)."""
    from healthwise.auth.cli import user
    from healthwise.backup.cli import backup_command, restore_command
    from healthwise.checklists.cli import checklist
    from healthwise.demo.cli import demo
    from healthwise.devices.cli import code, token
    from healthwise.exports.cli import export
    from healthwise.facilities.cli import facility
    from healthwise.languages.cli import languages
    from healthwise.workshops.cli import workshop

    for group in (token, code, user, facility, workshop, export, checklist, languages, demo,
                  backup_command, restore_command):
        main.add_command(group)


_add_feature_commands()

if __name__ == "__main__":
    main()
