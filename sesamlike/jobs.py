"""The one list of periodic jobs, and the scheduler process that runs them.

`flask --app app scheduler` runs every job below with APScheduler in its own
process, never inside web workers. Each run goes through jobruns.run_job: a
database lock so two schedulers never run the same job at once, and a job_runs
row with start, end, outcome and counts. "Run now" on the admin page records a
`requested` run that the scheduler picks up within REQUEST_POLL_SECONDS.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from sesamlike.common.jobruns import run_job
from sesamlike.common.models import JobRun
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

TIMEZONE = "Europe/Stockholm"
REQUEST_POLL_SECONDS = 15
log = logging.getLogger("sesamlike.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function", called as function(now) -> counts
    description: str  # Swedish, shown on the admin page
    cron: dict | None = None  # APScheduler cron fields, local time
    every_seconds: int | None = None

    def function(self) -> Callable[[datetime], dict | None]:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    @property
    def schedule_text(self) -> str:
        if self.every_seconds:
            return f"var {self.every_seconds}:e sekund"
        return " ".join(f"{k}={v}" for k, v in (self.cron or {}).items())


JOBS: tuple[Job, ...] = (
    Job(
        "send_mail",
        "sesamlike.common.mail:send_pending",
        "Skickar köade e-postaviseringar",
        every_seconds=60,
    ),
    Job(
        "reminders",
        "sesamlike.portal.jobs:run",
        "Påminnelser om slutdatum, öppnad tidsspärr och förskrivningar som tar slut",
        cron={"hour": 6, "minute": 0},
    ),
    Job(
        "followup_nightly",
        "sesamlike.followup.jobs:run",
        "Årskostnad per patient för i år och i fjol (ändrade patienter)",
        cron={"hour": 2, "minute": 0},
    ),
    Job(
        "expiry_check",
        "sesamlike.stock.jobs:expiry_check",
        "Flaggar partier som går ut inom 60 dagar och spärrar utgångna",
        cron={"hour": 5, "minute": 0},
    ),
    Job(
        "low_stock_check",
        "sesamlike.stock.jobs:low_stock_check",
        "Föreslår inköp per leverantör när saldot når beställningspunkten",
        cron={"hour": 5, "minute": 15},
    ),
    Job(
        "pharmacy_prescriptions",
        "sesamlike.channels.jobs:issue_pharmacy_prescriptions",
        "Skickar e-recept för apoteksrader",
        every_seconds=300,
    ),
    Job(
        "supplier_export",
        "sesamlike.channels.jobs:export_supplier_orders",
        "Skriver dagens beställningsfil per leverantör",
        cron={"hour": 16, "minute": 0},
    ),
    Job(
        "deactivate_unused_accounts",
        "sesamlike.accounts.jobs:deactivate_unused",
        "Inaktiverar konton som inte använts på 12 månader",
        cron={"hour": 3, "minute": 30},
    ),
)


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)


def run_named(
    name: str, now: datetime | None = None, run: JobRun | None = None
) -> JobRun:
    job = job_named(name)
    return run_job(job.name, job.function(), now=now, run=run)


def request_run(name: str) -> JobRun:
    """Ask the scheduler process to run a job now (from the admin page)."""
    job_named(name)
    run = JobRun(job_name=name, outcome="requested", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run


def run_requested() -> int:
    """Run every job someone asked for; the scheduler polls this."""
    done = 0
    while True:
        run = db.session.scalar(
            sa.select(JobRun)
            .where(JobRun.outcome == "requested")
            .order_by(JobRun.id)
            .limit(1)
        )
        if run is None:
            return done
        # Claim it: only one scheduler turns a request into a run.
        claimed = db.session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run.id, JobRun.outcome == "requested")
            .values(outcome="running")
        ).rowcount
        db.session.commit()
        if claimed:
            run_named(run.job_name, run=db.session.get(JobRun, run.id))
            done += 1


jobs_cli = AppGroup("jobs", help="List and run periodic jobs.")


@jobs_cli.command("list")
def list_jobs():
    """List the periodic jobs and their schedules."""
    for job in JOBS:
        click.echo(f"{job.name}\t{job.schedule_text}\t{job.description}")


@jobs_cli.command("run")
@click.argument("name")
def run_command(name):
    """Run one job now, under its lock, and record the run."""
    try:
        run = run_named(name)
    except KeyError:
        raise click.ClickException(f"Unknown job: {name}") from None
    click.echo(f"{name}: {run.outcome} {run.counts or ''}".rstrip())
    if run.outcome == "failed":
        click.echo(run.message, err=True)
        raise SystemExit(1)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run due requests once and exit.")
@with_appcontext
def scheduler_command(once):
    """Run the scheduler process: every periodic job, and run-now requests."""
    if once:
        click.echo(f"requested runs: {run_requested()}")
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = current_app._get_current_object()
    scheduler = BlockingScheduler(timezone=TIMEZONE)

    def in_app(func, *args):
        def wrapped():
            with app.app_context():
                try:
                    func(*args)
                finally:
                    db.session.remove()

        return wrapped

    for job in JOBS:
        trigger = (
            ("interval", {"seconds": job.every_seconds})
            if job.every_seconds
            else ("cron", job.cron)
        )
        scheduler.add_job(
            in_app(run_named, job.name),
            trigger[0],
            id=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            **trigger[1],
        )
    scheduler.add_job(
        in_app(run_requested),
        "interval",
        id="_requests",
        seconds=REQUEST_POLL_SECONDS,
        max_instances=1,
        coalesce=True,
    )
    click.echo(f"Scheduler started with {len(JOBS)} jobs ({TIMEZONE}). Ctrl-C stops.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


COMMANDS = (jobs_cli, scheduler_command)
