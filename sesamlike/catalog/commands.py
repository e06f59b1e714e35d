"""`catalogue import` and `catalogue export` (interfaces.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from sesamlike.catalog import services
from sesamlike.common.cli_paths import output_file
from sesamlike.common.csvfiles import import_from_command_line

catalogue = AppGroup("catalogue", help="Import and export the article catalogue.")


@catalogue.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_catalogue(file: Path) -> None:
    """Upsert articles from a catalogue CSV FILE.

    Every row is checked first; on any bad row, print each problem with its line
    number, import nothing and exit 1.
    """
    result = import_from_command_line(file, services.import_catalogue_text)
    click.echo(
        f"Imported catalogue {file}: {result.created} created, "
        f"{result.updated} updated, {result.unchanged} unchanged; "
        f"new systems: {result.systems_created}."
    )


@catalogue.command("export")
@click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), callback=output_file
)
def export_catalogue(file: Path) -> None:
    """Write the catalogue CSV to FILE ('-': stdout)."""
    text = services.export_catalogue_text()
    if str(file) == "-":
        click.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    click.echo(f"Exported the catalogue to {file}.")


COMMANDS = (catalogue,)
