"""`deliveries import` (interfaces.md): delivered history from an older system."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from sesamlike.common.csvfiles import import_from_command_line
from sesamlike.orders.history import import_deliveries_text

deliveries = AppGroup("deliveries", help="Import delivered history.")


@deliveries.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_deliveries(file: Path) -> None:
    """Import the delivered-history CSV FILE; any bad row imports nothing."""
    counts = import_from_command_line(file, import_deliveries_text)
    click.echo(
        f"Imported delivered history {file}: {counts.lines} lines in "
        f"{counts.orders} orders, {counts.devices} serial-numbered devices."
    )


COMMANDS = (deliveries,)
