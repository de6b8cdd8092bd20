"""`flask translations`: keep the message catalogues in step with the code.

flask translations extract   # after adding or changing strings; lists what to translate
flask translations check     # in CI: fails on anything missing, untranslated or fuzzy
flask translations compile   # in the build: .po → .mo (the .mo files are not committed)
"""

from __future__ import annotations

from pathlib import Path

import click
from babel.messages.pofile import PoFileError
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.cli import catalogues as translations

translations_cli = AppGroup("translations", help="Message catalogues (zh_CN and en).")


def _root() -> Path:
    return Path(current_app.config["PROJECT_ROOT"])


@translations_cli.command("extract")
def extract() -> None:
    """Extract the strings from the code and update messages.pot and both catalogues."""
    root = _root()
    try:
        result = translations.update_catalogues(root)
    except PoFileError as error:
        message = f"a catalogue cannot be read, nothing was updated: {error}"
        raise click.ClickException(message) from None
    for path in result.written:
        click.echo(f"updated {path.relative_to(root)}")
    click.echo(f"{result.total} messages in the code")
    for locale, todo in result.untranslated.items():
        if not todo:
            click.echo(f"{locale}: complete")
            continue
        path = translations.catalogue_path(root, locale).relative_to(root)
        click.echo(f"{locale}: {len(todo)} to translate in {path}:")
        for msgid in todo:
            if msgid in result.new[locale]:
                marker = "new  "
            elif msgid in result.fuzzy[locale]:
                marker = "fuzzy"
            else:
                marker = "     "
            click.echo(f"  {marker} {msgid!r}")


@translations_cli.command("compile")
def compile_() -> None:
    """Compile both catalogues to .mo files; nothing is written if either has errors."""
    try:
        translations.compile_catalogues(_root())
    except translations.CatalogueError as error:
        raise click.ClickException(
            "the catalogues have errors, nothing was compiled:\n"
            + "\n".join(f"  {problem}" for problem in error.problems)
        ) from None
    click.echo(f"compiled {', '.join(translations.LOCALES)}")


@translations_cli.command("check")
def check() -> None:
    """Fail if a catalogue misses a string from the code or has one untranslated or fuzzy."""
    problems = translations.catalogue_problems(_root())
    if problems:
        raise click.ClickException(
            f"{len(problems)} translation problems:\n"
            + "\n".join(f"  {problem}" for problem in problems)
            + "\nRun `flask translations extract`, translate, and check again."
        )
    click.echo(f"{', '.join(translations.LOCALES)}: complete")


def register(app: Flask) -> None:
    """Add the `flask translations` group to the app's commands."""
    app.cli.add_command(translations_cli)
