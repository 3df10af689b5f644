"""``healthwise backup`` and ``healthwise restore``: a thin wrapper over the service."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from healthwise.backup import service
from healthwise.extensions import db


def _fail(exc: service.BackupError):
    raise click.ClickException(str(exc)) from exc


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(out: Path):
    """Back up the database and the photos folder into one .zip file, while serving.

    SQLite: a consistent snapshot made with SQLite's online backup (phones may go on
    syncing); PostgreSQL: pg_dump, which must be installed (otherwise the commands to
    run are printed and the command fails). OUT is the file to write, or an existing
    folder to write healthwise-<date>-<time>.zip into. The file appears once complete.

    \b
    Example:
      healthwise backup /srv/backups/healthwise-$(date +%F).zip
    """
    try:
        path, manifest = service.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out,
                                        Path(current_app.config["PHOTOS_DIR"]))
    except service.BackupError as exc:
        _fail(exc)
    click.echo(f"Backed up to {path}: sync clock {manifest.clock}, {manifest.changes} "
               f"changes in the history, {manifest.photos} photos.")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@with_appcontext
def restore_command(backup: Path, yes: bool):
    """Replace the database (and add the photos) with those of a backup.

    Stop the server first: on SQLite the command refuses while any process has the
    database open. The previous database is kept beside it as
    <name>.before-restore-<time>. Phones that synced after the backup was taken send
    what they sent since again on their next sync, and pull everything again.

    \b
    Example:
      healthwise restore /srv/backups/healthwise-2026-12-01.zip --yes
    """
    try:
        manifest = service.read_manifest(backup)
    except service.BackupError as exc:
        _fail(exc)
    click.echo(f"Backup of {manifest.created_at} ({manifest.engine}): sync clock "
               f"{manifest.clock}, {manifest.changes} changes, {manifest.photos} photos.")
    if not yes:
        raise click.ClickException("This replaces the server's database: run again with --yes.")
    # This command's own connections would count as a server using the database.
    db.session.remove()
    db.engine.dispose()
    try:
        done = service.restore(backup, current_app.config["SQLALCHEMY_DATABASE_URI"],
                               Path(current_app.config["PHOTOS_DIR"]))
    except service.BackupError as exc:
        _fail(exc)
    for path in done["kept"]:
        click.echo(f"The previous database is kept as {path}")
    click.echo(f"Restored; {done['photos_added']} photos put back. Start the server again.")
