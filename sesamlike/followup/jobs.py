"""The follow-up's jobs, listed by sesamlike/jobs.py: the nightly and weekly runs,
and warming the report again after a change of what it groups patients by."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from sesamlike.common.jobruns import FAILED_OUTCOMES
from sesamlike.common.models import JobRun
from sesamlike.common.time import REGION_TIMEZONE
from sesamlike.extensions import db
from sesamlike.followup import warming
from sesamlike.followup.runs import computed_years, run_year, stale_years


def run(now: datetime, *, full: bool = False) -> dict[str, int]:
    """Recompute the current and the previous year for changed patients only.

    The previous year is included because late deliveries and returns keep
    changing it in January. Earlier years computed before are run again when
    the catalogue or the rules changed since their last run (a changed
    amortisation period changes every year a device was in use), and each
    week for their changed patients (`run_full`). Returns counts for the job
    record.

    What an incremental run notices: every order line written since the last
    run (a delivery, a return or a partial return, a warranty swap: both lines
    are written) recomputes its patient; the current year's first run of a day
    is full, as its device days grow. Who paid (each patient's paying clinics
    and cost centres, `followup.cost_centres`) is stored with the costs, for
    the patients the run recomputed: a prescription's clinic and cost centre
    never change once written, so the stored payers change only with the lines.
    What it cannot see (deleted lines, changed patient data) the weekly full
    run (`run_full`) catches.

    Then, as a step of its own, the report's default figures of both years
    are computed and kept (`warming`), so the first report after the night is
    as quick as later ones; its time is in the counts (`warm_ms`), and a
    failure there is logged and counted (`warm_failed`), never the job's.
    """
    year = _region_year(now)
    counts: dict[str, int] = {}
    # Earlier years computed before: each night those whose catalogue or rules
    # changed since (their runs are full); each week all of them, for the
    # changed patients (a return dated back, history imported for them).
    older = computed_years(year - 1) if full else stale_years(year - 1)
    for current in (*older, year - 1, year):
        result = run_year(current, full=full and current >= year - 1)
        counts[f"patients_{current}"] = result.patients
        counts[f"removed_{current}"] = result.removed
        counts[f"full_{current}"] = int(result.full)
    counts["patients"] = sum(v for k, v in counts.items() if k.startswith("patients_"))
    counts.update(warming.warm((*older, year - 1, year)).counts())
    return counts


def run_full(now: datetime) -> dict[str, int]:
    """The weekly full recompute of the current and the previous year, and
    the changed patients of every earlier year computed before."""
    return run(now, full=True)


# The jobs whose runs warm the report themselves (`run`, `run_full`).
RUN_JOBS = ("followup_nightly", "followup_weekly_full")
REWARM_JOB = "followup_rewarm"
# A run older than this still "running" was cut off (a scheduler stopped).
RUN_AT_MOST = timedelta(hours=6)
# After a warming failed, wait this long before trying again.
RETRY_AFTER = timedelta(hours=1)


def rewarm(now: datetime) -> dict[str, int]:
    """Keep the report's default figures of this and last year again when a
    patient's birth date or diabetes type has changed since they were warmed
    (the report groups by age group and diabetes type), or their warming
    failed: the next report would compute them (seconds for the region at
    national scale). Nothing while every scope's figures are kept (a phone
    number changed, say); nothing while a follow-up run is under way (it warms
    after itself); after a failed warming, nothing for an hour."""
    if _run_under_way(now):
        return {"skipped_during_run": 1}
    if _failed_lately(now):
        return {"skipped_after_failure": 1}
    year = _region_year(now)
    stale = warming.stale_years((year - 1, year))
    counts = {"stale_years": len(stale)}
    if stale:
        counts.update(warming.warm(stale).counts())
    return counts


def _region_year(now: datetime) -> int:
    """The region's calendar year: 00:30 on 1 January is already the new year
    (a naive `now` is the region's time)."""
    return now.astimezone(REGION_TIMEZONE).year if now.tzinfo else now.year


def _run_under_way(now: datetime) -> bool:
    running = sa.select(JobRun.id).where(
        JobRun.job_name.in_(RUN_JOBS),
        JobRun.outcome == "running",
        JobRun.started_at >= now - RUN_AT_MOST,
    )
    return db.session.scalar(running.limit(1)) is not None


def _failed_lately(now: datetime) -> bool:
    failed = sa.select(JobRun.id).where(
        JobRun.job_name == REWARM_JOB,
        JobRun.outcome.in_(FAILED_OUTCOMES),
        JobRun.started_at >= now - RETRY_AFTER,
    )
    return db.session.scalar(failed.limit(1)) is not None
