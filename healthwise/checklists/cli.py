"""``healthwise checklist``: the checklists, taken out to other tools."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from healthwise.checklists.registry import registry
from healthwise.checklists.xlsform import checklist_xlsform


@click.group("checklist", cls=AppGroup)
def checklist():
    """The checklists this server offers."""


@checklist.command("xlsform")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--lang", default="en", show_default=True, help="The form's language.")
@click.option("--checklist", "checklist_id", default="healthwise", show_default=True)
def xlsform_command(out: Path, lang: str, checklist_id: str):
    """Write a checklist as an XLSForm (.xlsx) for ODK and KoboToolbox.

    \b
    Example:
      healthwise checklist xlsform --lang fr healthwise-fr.xlsx
    """
    if lang not in current_app.config["LANGUAGES"]:
        raise click.BadParameter(
            f"choose one of {', '.join(current_app.config['LANGUAGES'])}", param_hint="--lang")
    found = registry().get(checklist_id)
    if found is None:
        raise click.ClickException(f"There is no checklist '{checklist_id}'.")
    out.write_bytes(checklist_xlsform(found, lang))
    click.echo(f"Wrote {out} ({found.id}, {lang}).")
