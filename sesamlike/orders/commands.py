"""`deliveries import` (interfaces.md): delivered history from an older system."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from sesamlike.orders.history import DeliveriesInvalid, import_deliveries_text

deliveries = AppGroup("deliveries", help="Import delivered history.")


@deliveries.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_deliveries(file: Path) -> None:
    """Import the delivered-history CSV FILE; any bad row imports nothing."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        click.echo(
            f"{file}: filen är inte UTF-8 (byte {exc.start}); inget importerades.",
            err=True,
        )
        raise SystemExit(1) from None
    try:
        counts = import_deliveries_text(text)
    except DeliveriesInvalid as error:
        click.echo(f"{file}: {error}", err=True)
        for problem in error.problems:
            for line in problem.lines():
                click.echo(line, err=True)
        raise SystemExit(1) from None
    click.echo(
        f"Imported delivered history {file}: {counts.lines} lines in "
        f"{counts.orders} orders, {counts.devices} serial-numbered devices."
    )


COMMANDS = (deliveries,)
