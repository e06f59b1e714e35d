"""`suppliers export`, `suppliers import-status`, `pharmacy import-dispensing`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from sesamlike.channels import pharmacy as pharmacy_channel
from sesamlike.channels import supplier as supplier_channel
from sesamlike.channels import supplier_status
from sesamlike.channels.models import SupplierExport
from sesamlike.common.csvfiles import import_from_command_line
from sesamlike.common.errors import DomainError
from sesamlike.extensions import db

suppliers = AppGroup("suppliers", help="Supplier order files and status replies.")
pharmacy = AppGroup("pharmacy", help="Pharmacy prescriptions and dispensings.")


@suppliers.command("export")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day (YYYY-MM-DD); today when left out.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the files (created when missing).",
)
def export_orders(day, out_dir: Path) -> None:
    """Write one order CSV per supplier for the day's supplier-channel lines."""
    day = day.date() if day else supplier_channel.region_today()
    try:
        exports = supplier_channel.export_supplier_orders(day)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, export in file_names(exports).items():
        (out_dir / name).write_text(
            supplier_channel.file_text(export), encoding="utf-8"
        )
        click.echo(f"{out_dir / name}: {len(export.lines)} lines ({export.supplier})")
    click.echo(f"{len(exports)} supplier files for {day.isoformat()}.")


def file_names(exports: list[SupplierExport]) -> dict[str, SupplierExport]:
    """File name per export; two suppliers with the same file-safe name get ids."""
    names: dict[str, SupplierExport] = {}
    for export in exports:
        name = export.filename
        if name in names:
            name = name.removesuffix(".csv") + f"-{export.id}.csv"
        names[name] = export
    return names


@suppliers.command("import-status")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_status(file: Path) -> None:
    """Import a supplier status CSV FILE; any bad row imports nothing."""
    counts = import_from_command_line(file, supplier_status.import_supplier_status_text)
    click.echo(
        f"Imported supplier status {file}: {counts.confirmed} confirmed, "
        f"{counts.shipped} shipped, {counts.delivered} delivered, "
        f"{counts.cancelled} cancelled, {counts.unchanged} unchanged."
    )
    if counts.lent:  # a line of its own: scripts read the line above as before
        click.echo(f"{counts.lent} devices registered as lent to their patients.")


@pharmacy.command("import-dispensing")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_dispensing(file: Path) -> None:
    """Import a pharmacy dispensing CSV FILE; any bad row imports nothing."""
    counts = import_from_command_line(file, pharmacy_channel.import_dispensing_text)
    click.echo(
        f"Imported dispensings {file}: {counts.dispensings} dispensings "
        f"({counts.partial} partial), {counts.unchanged} already known."
    )


@pharmacy.command("issue")
def issue() -> None:
    """Issue an e-recept for every pharmacy order line that has none yet."""
    issued = pharmacy_channel.issue_pharmacy_prescriptions()
    click.echo(f"Issued {issued} pharmacy prescriptions.")


COMMANDS = (suppliers, pharmacy)
