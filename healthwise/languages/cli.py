"""``healthwise languages``: the translation catalogues from the command line."""

import click
from flask.cli import AppGroup

from healthwise.languages import catalogues


@click.group("languages", cls=AppGroup)
def languages():
    """Translation catalogues (wraps pybabel).

    \b
    Example, adding a language (sw = Swahili):
      healthwise languages extract && healthwise languages update --lang sw
      # translate translations/sw/LC_MESSAGES/*.po with any PO editor, then
      healthwise languages compile && healthwise languages check
    """


@languages.command("extract", with_appcontext=False)
def languages_extract():
    """Extract strings into translations/{messages,checklists}.pot.

    \b
    Example:
      healthwise languages extract
    """
    for domain in catalogues.SOURCES:
        click.echo(catalogues.extract(domain))


@languages.command("update", with_appcontext=False)
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
def languages_update(langs):
    """Merge the templates into each language's catalogues (creates new ones).

    \b
    Example:
      healthwise languages update --lang fr
    """
    for domain in catalogues.SOURCES:
        catalogues.update(domain, list(langs) or None)


@languages.command("compile", with_appcontext=False)
def languages_compile():
    """Compile the catalogues to .mo files.

    \b
    Example:
      healthwise languages compile
    """
    catalogues.compile_all()


@languages.command("check", with_appcontext=False)
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
def languages_check(langs):
    """Exit non-zero on a missing, fuzzy, untranslated or orphaned string or placeholder.

    \b
    Example:
      healthwise languages check --lang ar
    """
    problems = catalogues.check(list(langs) or None)
    for line in problems[:200]:
        click.echo(line, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the catalogues.")
    click.echo("All catalogues complete.")
