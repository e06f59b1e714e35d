"""`depots` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sesamlike.common.errors import DomainError
from sesamlike.extensions import db
from sesamlike.stock import services

depots = AppGroup("depots", help="Manage stock depots.")


@depots.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
def create_depot(code, name):
    """Add a stock depot."""
    try:
        depot = services.create_depot(code, name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created depot {depot.code} {depot.name}.")


COMMANDS = (depots,)
