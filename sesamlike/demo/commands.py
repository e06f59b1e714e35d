"""`demo load` and `demo generate` (interfaces.md)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from sesamlike.common.time import region_today
from sesamlike.demo import generate as generator
from sesamlike.demo import region
from sesamlike.demo.setup import DEMO_PASSWORD
from sesamlike.followup.runs import last_run, run_year

demo = AppGroup("demo", help="Demo region and synthetic data for scale tests.")


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing if there are users.")
def load(if_empty: bool) -> None:
    """Load the demo region (idempotent) and print every demo login."""
    if if_empty and region.has_users():
        click.echo("The database already has users; the demo region was not loaded.")
        return
    started = time.perf_counter()
    logins = region.load_demo_region()
    # The managers' reports read computed costs: compute them now rather than
    # leave the follow-up pages empty until the scheduler's first night.
    this_year = region_today().year
    for year in (this_year - 1, this_year):
        if last_run(year) is None:  # a second load leaves the figures be
            run_year(year)
    click.echo(
        f"Demo region loaded in {time.perf_counter() - started:.1f} s, with the "
        f"follow-up costs of {this_year - 1} and {this_year}. "
        f"Every demo login has the password {DEMO_PASSWORD}"
    )
    width = max(len(login.username) for login in logins)
    click.echo(f"{'username':<{width}}  {'password':<15}  {'role':<10}  clinic/patient")
    for login in logins:
        click.echo(
            f"{login.username:<{width}}  {DEMO_PASSWORD:<15}  {login.role:<10}  "
            f"{login.detail}"
        )


@demo.command("generate")
@click.option("--patients", type=click.IntRange(min=1), required=True)
@click.option("--years", type=click.IntRange(min=1, max=10), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
def generate(patients: int, years: int, seed: int) -> None:
    """Add a synthetic region of N patients with Y years of delivered history."""
    started = time.perf_counter()
    with click.progressbar(length=patients, label="Patients") as bar:
        counts = generator.generate_region(patients, years, seed, progress=bar.update)
    click.echo(
        f"Added {patients} patients in {counts.clinics} clinics: "
        f"{counts.prescriptions} prescriptions, {counts.history.orders} orders, "
        f"{counts.history.lines} order lines, {counts.history.devices} devices "
        f"in {time.perf_counter() - started:.1f} s."
    )


COMMANDS = (demo,)
