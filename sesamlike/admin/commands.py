"""`users` and `clinics` commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from sesamlike.accounts import services
from sesamlike.accounts.administration import audit_account
from sesamlike.accounts.models import Role
from sesamlike.common.errors import DomainError
from sesamlike.common.urls import INT_MAX
from sesamlike.extensions import db
from sesamlike.stock import staff

users = AppGroup("users", help="Manage logins.")
clinics = AppGroup("clinics", help="Manage clinics (vårdenheter).")


def fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


def _audit_named(action: str, username: str, detail: str | None = None) -> None:
    audit_account(None, action, services.user_named(username), detail or username)
    db.session.commit()


@users.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--clinic", "clinics_", multiple=True, help="Clinic code; repeatable.")
@click.option(
    "--patient-id",
    "patient_ids",
    multiple=True,
    type=click.IntRange(-INT_MAX - 1, INT_MAX),
)
@click.option("--first-time-prescriber", is_flag=True)
@click.option("--name", "display_name", default="")
@click.option("--email", default=None)
@click.option("--depot", "depot_code", default=None,
              help="Depot code: an aids-centre login's own depot.")  # fmt: skip
def create_user(
    username,
    password,
    role,
    clinics_,
    patient_ids,
    first_time_prescriber,
    display_name,
    email,
    depot_code,
):
    """Add a login; a patient or guardian names the patient(s) it acts for."""
    from sesamlike.patients.links import link_user_to_patients

    try:
        depot = staff.depot_for(role, depot_code)
        user = services.create_user(
            username,
            password,
            role,
            clinic_codes=clinics_,
            display_name=display_name,
            email=email,
            first_time_prescriber=first_time_prescriber,
            commit=False,
        )
        db.session.flush()
        link_user_to_patients(user, patient_ids)
        clinic_list = ",".join(sorted(c.code for c in user.clinics)) or "-"
        audit_account(
            None, "user_create", user, f"{user.username}: {role} {clinic_list}"
        )
        staff.set_own_depot(None, user, depot)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error)
    click.echo(f"Created {role} {username} (id {user.id}).")


@users.command("set-depot")
@click.argument("username")
@click.argument("depot_code", required=False)
def set_depot(username, depot_code):
    """Give an aids-centre login its own depot (no DEPOT_CODE: take it away)."""
    try:
        user = services.user_named(username)
        depot = staff.depot_for(user.role, depot_code)
        changed = staff.set_own_depot(None, user, depot)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error)
    if not changed:
        click.echo(f"{username}: unchanged.")
    elif depot is None:
        click.echo(f"{username}: no own depot.")
    else:
        click.echo(f"{username}: own depot {depot.code}.")


@users.command("token")
@click.argument("username")
@click.option(
    "--days",
    default=services.TOKEN_DAYS,
    show_default=True,
    type=click.IntRange(1, services.MAX_TOKEN_DAYS),
    help="Days until the token stops working.",
)
def token(username, days):
    """Print a new API bearer token for USERNAME (the last line is the token)."""
    try:
        value = services.issue_token(username, days)
        _audit_named("user_token", username, f"{username}: {days} d")
    except DomainError as error:
        db.session.rollback()
        fail(error)
    click.echo(f"New API token for {username}, valid for {days} days:")
    click.echo(value)


@users.command("revoke-tokens")
@click.argument("username")
def revoke_tokens(username):
    """Every API token of USERNAME stops working at once."""
    try:
        count = services.revoke_tokens(username)
        _audit_named("user_revoke_tokens", username)
    except DomainError as error:
        db.session.rollback()
        fail(error)
    click.echo(f"Revoked {count} API token(s) of {username}.")


@users.command("deactivate")
@click.argument("username")
def deactivate(username):
    """USERNAME's login, web sessions and API tokens stop working at once."""
    try:
        ended, revoked = services.deactivate(username)
        _audit_named("user_deactivate", username)
    except DomainError as error:
        db.session.rollback()
        fail(error)
    click.echo(
        f"Deactivated {username}: ended {ended} web session(s), "
        f"revoked {revoked} API token(s)."
    )


@users.command("unlock")
@click.argument("username")
def unlock(username):
    """Lift the lock set on USERNAME after too many failed logins."""
    from sesamlike.accounts import logins

    try:
        services.user_named(username)
    except DomainError as error:
        fail(error)
    if logins.unlock(username):
        _audit_named("user_unlock", username)
        click.echo(f"Unlocked {username}.")
    else:
        click.echo(f"{username} was not locked.")


@clinics.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--cost-centre", required=True)
@click.option("--paediatric", is_flag=True)
def create_clinic(code, name, cost_centre, paediatric):
    """Add a clinic (vårdenhet) with its paying cost centre."""
    try:
        clinic = services.create_clinic(code, name, cost_centre, paediatric=paediatric)
    except DomainError as error:
        db.session.rollback()
        fail(error)
    click.echo(f"Created clinic {clinic.code} {clinic.name} ({clinic.cost_centre}).")


@clinics.command("list")
def list_clinics():
    """List clinics."""
    from sesamlike.accounts.models import Clinic

    for clinic in db.session.scalars(sa.select(Clinic).order_by(Clinic.code)):
        click.echo(f"{clinic.code}\t{clinic.name}\t{clinic.cost_centre}")


COMMANDS = (users, clinics)
