"""``healthwise demo``: synthetic data at district scale, for benchmarks and trying things."""

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import inspect

from healthwise.extensions import db


@click.group("demo", cls=AppGroup)
def demo():
    """Demo data: invented districts and years of rounds."""


@demo.command("generate")
@click.option("--facilities", default=2000, show_default=True, type=click.IntRange(1),
              help="Facilities in all, split evenly over the districts.")
@click.option("--districts", default=10, show_default=True, type=click.IntRange(1))
@click.option("--rounds", default=4, show_default=True, type=click.IntRange(1, 20),
              help="Rounds per assessed facility: a baseline, then follow-ups.")
@click.option("--participants", default=6, show_default=True, type=click.IntRange(1, 50),
              help="Participants (responses) per round.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="The same seed (and --today) gives the same data.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the data leads up to  [default: today]")
@click.option("--force", is_flag=True,
              help="Add to a database that holds data other than demo data.")
def generate_command(facilities, districts, rounds, participants, seed, today, force):
    """Write invented districts, facilities, rounds, answers and action plans.

    About 70 answers per participant: the defaults make about 3.4 million answers.
    Refuses a database that holds anything but demo data, unless --force.

    \b
    Example:
      healthwise demo generate --facilities 2000 --districts 10 --rounds 4 --participants 6
    """
    from healthwise.checklists.registry import registry
    from healthwise.demo.generate import GenerateError, district_sizes, generate

    _migrate_if_new()
    try:
        sizes = district_sizes(facilities, districts)
        made = generate(sizes, rounds, participants, registry(), seed=seed,
                        today=today.date() if today else date.today(), force=force,
                        progress=_progress_printer())
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Made {len(made.districts)} districts (ids {made.districts[0]} to "
               f"{made.districts[-1]}), {made.facilities} facilities, {made.assessments:,} "
               f"rounds, {made.responses:,} responses, {made.answers:,} answers and "
               f"{made.action_items:,} action items in {made.seconds:.1f} s; sync clock "
               f"at {made.last_seq:,}.")


def _migrate_if_new() -> None:
    """Migrate a database the migrations made or that is empty; leave one built otherwise
    (the tests' ``create_all``) as it is."""
    tables = inspect(db.engine).get_table_names()
    if not tables or "alembic_version" in tables:
        from flask_migrate import upgrade

        upgrade()


def _progress_printer():
    """Return a progress callback that prints about every tenth of the facilities."""
    shown = [-1]

    def show(made, total: int) -> None:
        step = max(total // 10, 1)
        if made.facilities // step != shown[0] or made.facilities == total:
            shown[0] = made.facilities // step
            click.echo(f"  {made.facilities:>6}/{total} facilities, {made.answers:>10,} "
                       f"answers, {made.seconds or 0:6.1f} s", err=True)

    return show
