"""`followup run` (interfaces.md), `followup register-export` and
`followup pseudonyms`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from sesamlike.common.cli_paths import output_file
from sesamlike.common.spreadsheets import CSV_FORMATS
from sesamlike.followup import register, runs, warming

followup = AppGroup("followup", help="Annual cost per patient and the NDR export.")


@followup.command("run")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
@click.option("--full", is_flag=True, help="Recompute every patient, not only changed.")
@click.option(
    "--no-warm",
    is_flag=True,
    help="Do not compute the report's default figures afterwards (PostgreSQL).",
)
def run(year: int, full: bool, no_warm: bool) -> None:
    """Compute per-patient annual cost for YEAR (changed patients, or all),
    then keep the report's default figures of YEAR (unless --no-warm)."""
    with click.progressbar(length=runs.STEPS, label=f"Year {year}") as bar:
        result = runs.run_year(year, full=full, progress=bar.update)
    kind = "full" if result.full else "changed patients only"
    click.echo(
        f"{result.patients} patients computed for {year} ({kind}), "
        f"{result.changed} rows new or changed, {result.removed} removed, "
        f"in {result.seconds:.2f} s."
    )
    if no_warm:
        return
    warmed = warming.warm([year])
    if warmed.failed:
        click.echo(f"Warming the report figures failed after {warmed.scopes} "
                   "scopes (see the log); reports compute them.",
                   err=True)  # fmt: skip
    elif warmed.scopes:
        click.echo(f"Report figures of {warmed.scopes} scopes (the region and each "
                   f"clinic) kept in {warmed.seconds:.2f} s.")  # fmt: skip


@followup.command("register-export")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(CSV_FORMATS)),
    default="csv",
    show_default=True,
    help="csv: Swedish spreadsheets (semicolons, words); csv-comma: codes, commas.",
)
@click.argument(
    "file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=output_file,
)
def register_export(year: int, fmt: str, file: Path) -> None:
    """Write the national diabetes register CSV for YEAR to FILE (every patient)."""
    body, count = register.register_file(year, user=None, dialect=CSV_FORMATS[fmt])
    file.write_bytes(body)
    click.echo(f"{count} patients written to {file}.")


@followup.command("pseudonyms")
def pseudonyms() -> None:
    """Store every patient's pseudonym under the current PSEUDONYM_KEY: after
    the key changed, the region's links by pseudonym find the patients again."""
    from sesamlike.extensions import db
    from sesamlike.patients.pseudonym import store_all

    count = store_all(db.session.connection())
    db.session.commit()
    click.echo(f"Pseudonyms of {count} patients stored.")


COMMANDS = (followup,)
