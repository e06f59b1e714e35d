"""The one list of periodic jobs, and the scheduler process that runs them.

`flask --app app scheduler` runs every job below with APScheduler in its own
process, never inside web workers. Each run goes through jobruns.run_job: a
database lock so two schedulers never run the same job at once, and a job_runs
row with start, end, outcome and counts. "Run now" on the admin page records a
`requested` run that the scheduler picks up within REQUEST_POLL_SECONDS.
"""

from __future__ import annotations

import calendar
import importlib
import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from babel.dates import get_day_names
from cron_descriptor import ExpressionDescriptor, Options
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from sesamlike.common.i18n import N_, gettext, ngettext
from sesamlike.common.jobruns import run_job
from sesamlike.common.models import JobRun, SchedulerHeartbeat
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db

TIMEZONE = "Europe/Stockholm"
REQUEST_POLL_SECONDS = 15
# The jobs page warns when no scheduler has said it is alive for this long.
HEARTBEAT_STALE = timedelta(minutes=2)
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
    def cron_expression(self) -> str | None:
        """The cron fields as a five-field expression (minute hour day month dow)."""
        if self.cron is None:
            return None
        fields = ("minute", "hour", "day", "month", "day_of_week")
        return " ".join(str(self.cron.get(name, "*")) for name in fields)

    def schedule_text(self, locale: str = "sv") -> str:
        """When the job runs, in words: "Vid 06:00", "Varje minut"."""
        if self.every_seconds:
            return interval_text(self.every_seconds)
        options = Options()
        options.locale_code = CRON_LOCALES.get(locale, "sv_SE")
        options.use_24hour_time_format = True
        text = ExpressionDescriptor(self.cron_expression, options).get_description()
        return _localised_day_names(text, locale)

    def next_run(self, now: datetime, last_started: datetime | None) -> datetime:
        """When the scheduler starts this job next, in the region's time."""
        zone = ZoneInfo(TIMEZONE)
        now = now.astimezone(zone)
        if self.every_seconds:
            if last_started is None:
                return now
            every = timedelta(seconds=self.every_seconds)
            return max(stored_utc(last_started).astimezone(zone) + every, now)
        trigger = CronTrigger(timezone=zone, **self.cron)
        return trigger.get_next_fire_time(None, now)


CRON_LOCALES = {"sv": "sv_SE", "en": "en_US"}


def _localised_day_names(text: str, locale: str) -> str:
    """cron-descriptor names weekdays in the process's locale (calendar.day_name,
    "Sunday" on a server); put the page's language's names in their place."""
    names = get_day_names("wide", locale=CRON_LOCALES.get(locale, "sv_SE"))
    for index, name in enumerate(calendar.day_name):  # 0 is Monday in both
        text = re.sub(rf"\b{re.escape(name)}\b", names[index], text)
    return text


def interval_text(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if rest:
        return ngettext("Varje sekund", "Var {n}:e sekund", seconds)
    return ngettext("Varje minut", "Var {n}:e minut", minutes)


JOBS: tuple[Job, ...] = (
    Job(
        "send_mail",
        "sesamlike.common.mail:send_job",
        N_("Skickar köade e-postaviseringar"),
        every_seconds=60,
    ),
    Job(
        "reminders",
        "sesamlike.portal.jobs:run",
        N_(
            "Påminnelser om slutdatum, öppnad tidsspärr och förskrivningar som tar slut"
        ),
        cron={"hour": 6, "minute": 0},
    ),
    Job(
        "followup_nightly",
        "sesamlike.followup.jobs:run",
        N_(
            "Årskostnad per patient för i år och i fjol (ändrade patienter), och för "
            "tidigare år när katalogen eller reglerna har ändrats"
        ),
        cron={"hour": 2, "minute": 0},
    ),
    Job(
        "followup_weekly_full",
        "sesamlike.followup.jobs:run_full",
        N_(
            "Årskostnad för i år och i fjol för alla patienter (fångar borttagna "
            "rader och ändrade patientuppgifter), och för ändrade patienter "
            "tidigare år"
        ),
        cron={"day_of_week": "sun", "hour": 3, "minute": 0},
    ),
    Job(
        "followup_rewarm",
        "sesamlike.followup.jobs:rewarm",
        N_(
            "Förberäknar uppföljningsrapporten igen när en patients födelsedatum "
            "eller diabetestyp har ändrats sedan natten"
        ),
        every_seconds=600,
    ),
    Job(
        "expiry_check",
        "sesamlike.stock.jobs:expiry_check",
        N_("Flaggar partier som går ut inom 60 dagar och spärrar utgångna"),
        cron={"hour": 5, "minute": 0},
    ),
    Job(
        "low_stock_check",
        "sesamlike.stock.jobs:low_stock_check",
        N_("Föreslår inköp per leverantör när saldot når beställningspunkten"),
        cron={"hour": 5, "minute": 15},
    ),
    Job(
        "pharmacy_prescriptions",
        "sesamlike.channels.jobs:issue_pharmacy_prescriptions",
        N_("Skickar e-recept för apoteksrader"),
        every_seconds=300,
    ),
    Job(
        "supplier_export",
        "sesamlike.channels.jobs:export_supplier_orders",
        N_("Skriver dagens beställningsfil per leverantör"),
        cron={"hour": 16, "minute": 0},
    ),
    Job(
        "deactivate_unused_accounts",
        "sesamlike.accounts.jobs:deactivate_unused",
        N_("Inaktiverar konton som inte använts på 12 månader"),
        cron={"hour": 3, "minute": 30},
    ),
    Job(
        "fhir_export",
        "sesamlike.api.fhir.export:run_pending",
        N_("Gör regionens beställda FHIR-exporter och tar bort utgångna exportfiler"),
        every_seconds=60,
    ),
    Job(
        "purge_sessions",
        "sesamlike.accounts.jobs:purge_sessions",
        N_("Rensar avslutade inloggningar och gamla misslyckade inloggningsförsök"),
        cron={"hour": 3, "minute": 45},
    ),
    Job(
        "prune_data_changes",
        "sesamlike.common.data_versions:prune",
        N_(
            "Tömmer loggarna över ändrade patientdata och artiklar (sparade "
            "portalsidor byggs om en gång)"
        ),
        cron={"hour": 3, "minute": 50},
    ),
)


# What the jobs' counts count, in words on the jobs page (a key not here is shown
# as it is). Keys ending in a year ("patients_2026") use the entry of YEAR_COUNTS.
COUNT_LABELS = {
    "sent": N_("skickade"),
    "failed": N_("misslyckade"),
    "gave_up": N_("gav upp"),
    "withdrawn": N_("stoppade: mottagaren får inte längre veta om patienten"),
    "runout_reminder": N_("påminnelser om slutdatum"),
    "time_lock_open": N_("aviseringar om öppnad tidsspärr"),
    "resupply_reminder": N_("upprepade påminnelser"),
    "opted_out": N_("avböjer påminnelser"),
    "prescription_low": N_("förskrivningar med ett uttag kvar"),
    "prescription_expiring": N_("förskrivningar som snart upphör"),
    "no_address": N_("utan adress"),
    "patients": N_("patienter"),
    "stale_years": N_("år med inaktuell förberäkning"),
    "skipped_during_run": N_("väntade: årskostnaden räknas"),
    "skipped_after_failure": N_("väntade: förberäkningen misslyckades nyss"),
    "warmed_scopes": N_("förberäknade urval"),
    "warm_ms": N_("förberäkning (ms)"),
    "warm_failed": N_("förberäkning misslyckad"),
    "proposed": N_("föreslagna inköp"),
    "updated": N_("ändrade förslag"),
    "unchanged": N_("oförändrade förslag"),
    "received": N_("mottagna inköp"),
    "checked": N_("kontrollerade artiklar"),
    "flagged": N_("flaggade partier"),
    "quarantined": N_("spärrade partier"),
    "issued": N_("skickade e-recept"),
    "files": N_("filer"),
    "lines": N_("rader"),
    "deactivated": N_("inaktiverade konton"),
    "sessions": N_("rensade inloggningar"),
    "login_failures": N_("rensade misslyckade inloggningsförsök"),
    "exports": N_("exporter"),
    "expired": N_("borttagna exportfiler"),
    "patient_changes": N_("rader om ändrade patientdata"),
    "catalogue_changes": N_("rader om ändrade artiklar"),
    "grouping_changes": N_("rader om ändrat födelsedatum eller diabetestyp"),
}
YEAR_COUNTS = {
    "patients": N_("patienter {year}"),
    "removed": N_("borttagna {year}"),
    "full": N_("full omräkning {year}"),
}


def count_label(key: str) -> str:
    """A job run's count key in the user's language: "påminnelser om slutdatum"."""
    if key in COUNT_LABELS:
        return gettext(COUNT_LABELS[key])
    stem, _, year = key.rpartition("_")
    if stem in YEAR_COUNTS and year.isdecimal():
        return gettext(YEAR_COUNTS[stem], year=year)
    return key


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)


def run_named(
    name: str,
    now: datetime | None = None,
    run: JobRun | None = None,
    *,
    wait_if_busy: bool = False,
) -> JobRun:
    job = job_named(name)
    return run_job(
        job.name, job.function(), now=now, run=run, wait_if_busy=wait_if_busy
    )


def request_run(name: str) -> JobRun:
    """Ask the scheduler process to run a job now (from the admin page)."""
    job_named(name)
    run = JobRun(job_name=name, outcome="requested", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run


def beat(holder: str, started_at: datetime) -> None:
    """Record that this scheduler process is alive (every poll)."""
    now = utcnow()
    row = db.session.get(SchedulerHeartbeat, holder)
    if row is None:
        db.session.add(
            SchedulerHeartbeat(holder=holder, started_at=started_at, seen_at=now)
        )
    else:
        row.seen_at = now
    db.session.commit()


def last_heartbeat() -> SchedulerHeartbeat | None:
    return db.session.scalar(
        sa.select(SchedulerHeartbeat)
        .order_by(SchedulerHeartbeat.seen_at.desc())
        .limit(1)
    )


def scheduler_alive(now: datetime) -> bool:
    seen = last_heartbeat()
    if seen is None:
        return False
    return now - stored_utc(seen.seen_at) <= HEARTBEAT_STALE


def run_requested() -> int:
    """Run every job someone asked for; the scheduler polls this. A request
    whose job is running already (its periodic run, say) waits for the next
    poll (`run_job`'s wait_if_busy): how many ran."""
    done = 0
    waiting: list[int] = []  # asked again at the next poll, not in this one
    while True:
        run = db.session.scalar(
            sa.select(JobRun)
            .where(JobRun.outcome == "requested", JobRun.id.not_in(waiting))
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
            ran = run_named(
                run.job_name, run=db.session.get(JobRun, run.id), wait_if_busy=True
            )
            if ran.outcome == "requested":
                waiting.append(ran.id)
            else:
                done += 1


jobs_cli = AppGroup("jobs", help="List and run periodic jobs.")


@jobs_cli.command("list")
def list_jobs():
    """List the periodic jobs and their schedules."""
    for job in JOBS:
        click.echo(f"{job.name}\t{job.schedule_text()}\t{job.description}")


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
    holder = f"{socket.gethostname()}:{os.getpid()}"[:80]
    started_at = utcnow()

    # Apart from the requests, so a long requested run never looks like a
    # scheduler that has stopped.
    for job_id, function in (
        ("_heartbeat", lambda: beat(holder, started_at)),
        ("_requests", run_requested),
    ):
        scheduler.add_job(
            in_app(function),
            "interval",
            id=job_id,
            seconds=REQUEST_POLL_SECONDS,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # at once, then every poll
        )
    click.echo(f"Scheduler started with {len(JOBS)} jobs ({TIMEZONE}). Ctrl-C stops.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


COMMANDS = (jobs_cli, scheduler_command)
