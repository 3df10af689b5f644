"""The ``healthwise`` command: set up and serve here; each feature adds its own group."""

import os
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from healthwise.extensions import db
from healthwise.serving import (
    SERVERS,
    choose_server,
    ensure_secret_key,
    gunicorn_command,
    phone_addresses,
    serve_waitress,
)


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


@main.command("serve", with_appcontext=False)  # the secret key comes first
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"),
              show_default="HOST or 127.0.0.1",
              help="0.0.0.0 lets phones on the same Wi-Fi reach this machine.")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), type=int,
              show_default="PORT or 5000")
@click.option("--server", type=click.Choice(SERVERS),
              help="gunicorn (Linux, macOS) or waitress (everywhere, one process). "
                   "[default: gunicorn where it runs, else waitress]")
@click.option("--workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", 3)), type=int,
              show_default="WEB_CONCURRENCY or 3", help="gunicorn's worker processes.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads per gunicorn worker; waitress' threads are twice as many.")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False),
              help="Serve https with this certificate (gunicorn only).")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False),
              help="The certificate's private key.")
def serve_command(host, port, server, workers, threads, certfile, keyfile):
    """Set up the database, then serve with a production server (gunicorn or waitress).

    Migrations and demo data run once here, before any worker starts. A secret key is
    made in the instance folder on first start (unless SECRET_KEY is set). Use
    ``--host 0.0.0.0`` to let phones on the same Wi-Fi reach a laptop: the addresses
    to give them are printed. Phones keep their service worker (offline reload) only
    over https, or on the laptop itself at 127.0.0.1.

    \b
    Examples:
      healthwise serve --host 0.0.0.0 --port 8000
      healthwise serve --host 0.0.0.0 --server waitress
      healthwise serve --host 0.0.0.0 --certfile laptop.pem --keyfile laptop-key.pem
    """
    try:
        server = choose_server(server)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together.")
    if certfile and server == "waitress":
        raise click.UsageError("waitress does not serve https: run gunicorn (Linux, macOS) "
                               "with --certfile, or put a proxy such as Caddy in front "
                               "(see the README's trainer's page).")
    from healthwise.config import INSTANCE_DIR

    if not os.environ.get("SECRET_KEY") and ensure_secret_key(INSTANCE_DIR):
        click.echo(f"Made a secret key in {INSTANCE_DIR / 'secret_key'} (keep it private).")
    from healthwise.languages.catalogues import compile_if_needed

    compile_if_needed()
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        initialise()
        from healthwise.checklists.registry import prepare_payloads

        click.echo(f"Prepared {prepare_payloads()} compressed checklists for the phones.")
        db.session.remove()
        db.engine.dispose()
    scheme = "https" if certfile else "http"
    where = f"{workers} workers" if server == "gunicorn" else f"{threads * 2} threads"
    click.echo(f"Serving HealthWISE Mobile with {server} ({where}) on {host}:{port}")
    _echo_addresses(host, port, scheme)
    if server == "gunicorn":
        args = gunicorn_command(host, port, workers, threads, certfile, keyfile)
        os.execv(sys.executable, args)
    serve_waitress(app, host, port, threads * 2)


def _echo_addresses(host: str, port: int, scheme: str) -> None:
    """Print where phones and the trainer's projector reach the server."""
    addresses = phone_addresses(host, port, scheme)
    if not addresses:
        click.echo("No network address found: join the Wi-Fi, then start again, or give "
                   "--host this machine's address.")
        return
    click.echo("Phones open:" if len(addresses) == 1 else "Phones open one of:")
    for address in addresses:
        click.echo(f"  {address}")
    click.echo(f"Workshops and their projector pages: {addresses[0]}manage/workshops")
    if scheme == "http" and host not in ("127.0.0.1", "localhost"):
        click.echo("Over plain http phones keep their answers and sync, but cannot reload "
                   "the app offline; --certfile/--keyfile serve https.")
        if os.environ.get("HEALTHWISE_SECURE_COOKIES") == "1":
            # Browsers drop a Secure cookie over plain http (except from 127.0.0.1).
            click.echo("HEALTHWISE_SECURE_COOKIES=1 marks cookies Secure: signing in at "
                       "these http addresses will not work; leave it unset.")


def _add_feature_commands() -> None:
    """Add each feature's command group (its ``cli.py``)."""
    from healthwise.archives.cli import archive
    from healthwise.auth.cli import user
    from healthwise.backup.cli import backup_command, restore_command
    from healthwise.checklists.cli import checklist
    from healthwise.demo.cli import demo
    from healthwise.devices.cli import code, token
    from healthwise.districts.cli import districts
    from healthwise.exports.cli import export
    from healthwise.facilities.cli import facility
    from healthwise.languages.cli import languages
    from healthwise.workshops.cli import workshop

    for group in (token, code, user, facility, workshop, export, districts, archive, checklist,
                  languages, demo, backup_command, restore_command):
        main.add_command(group)


_add_feature_commands()

if __name__ == "__main__":
    main()
