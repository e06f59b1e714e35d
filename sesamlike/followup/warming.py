"""Warming the report's kept figures after a follow-up run.

Each run changes the token of what the report keeps (`stored_figures`), so
without this step the first report after the nightly run computes everything
(seconds for the region at national scale). After the run has committed, this
step computes and keeps what the report page shows by default for the years
the run computed: for the whole region and for each clinic, the figures at the
default high-cost line, the cost centre sums, the trend (once per scope), and
the pages of channels and of articles (which read the year's lines: kept as
the lines were at the run).
Each scope is its own short read transaction; each kept row is written in a
transaction of its own by `stored_figures.keep`.

It is a step of its own (never inside `runs.run_year`, whose time is the
engine's benchmark), and it never fails the run: an error is logged, the
warming stops, and the report computes what was not kept as before. On
SQLite nothing is kept, so nothing is warmed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.common.request_logs import mask_personal_data
from sesamlike.extensions import db
from sesamlike.followup import (
    breakdowns,
    report,
    stored_figures,
    summaries,
    system_parts,
)
from sesamlike.followup.scope import Scope
from sesamlike.followup.summaries import default_threshold

log = logging.getLogger("sesamlike.followup.warming")
mask_personal_data(log)  # its tracebacks: no personnummer or name


@dataclass(frozen=True)
class Warmed:
    scopes: int  # the region and the clinics whose figures were kept
    seconds: float
    failed: bool = False

    def counts(self) -> dict[str, int]:
        """For the job record: how many scopes, how long (ms), whether it failed."""
        return {
            "warmed_scopes": self.scopes,
            "warm_ms": round(1000 * self.seconds),
            "warm_failed": int(self.failed),
        }


def stale_years(years: Iterable[int]) -> list[int]:
    """The years with a scope (the region, a clinic) whose default figures the
    warming keeps but which are not kept for the data as it is now: a
    patient's birth date or diabetes type changed since they were, or the
    warming failed. A scope a report has computed and kept since counts as
    kept; the others are what is looked for. None on SQLite (nothing kept)."""
    if not stored_figures.postgresql():
        return []
    threshold = default_threshold()
    scopes = _scopes()
    stale = []
    for year in sorted(set(years)):
        token = stored_figures.data_token(year)
        if token is None:  # no run of the year: nothing is kept
            continue
        keys = {
            stored_figures.scope_key("figures", scope, year, threshold)
            for scope in scopes
            if stored_figures.keepable(scope, year)
        }
        if keys - stored_figures.kept_keys(keys, token):
            stale.append(year)
    db.session.rollback()  # end the read transaction
    return stale


def warm(years: Iterable[int]) -> Warmed:
    """Compute and keep the default report figures of the years for the
    region and each clinic. Call it after the run has committed."""
    started = time.perf_counter()
    years = sorted(set(years))
    done = 0
    try:
        db.session.commit()  # nothing of the run's is pending; start afresh
        if not stored_figures.postgresql():
            return Warmed(0, time.perf_counter() - started)
        threshold = default_threshold()
        scopes = _scopes()
        for scope in scopes:
            _warm_scope(scope, years, threshold)
            db.session.rollback()  # end the scope's read transaction
            done += 1
        # Then the pages that read the year's lines (seconds for the region):
        # every scope's report is kept before them.
        for scope in scopes:
            _warm_line_pages(scope, years)
            db.session.rollback()
    except Exception:
        db.session.rollback()
        log.exception("warming the report's kept figures failed after %d scopes", done)
        return Warmed(done, time.perf_counter() - started, failed=True)
    seconds = time.perf_counter() - started
    log.info("kept the report figures of %d scopes in %.2f s", done, seconds)
    return Warmed(done, seconds)


def _warm_scope(scope: Scope, years: list[int], threshold: Decimal) -> None:
    """What the report page reads for the scope: figures, cost centre sums and
    pump systems without CGM of each year, and the trend. What would not be
    kept (a clinic's figures of a year without stored payers) is not computed."""
    for year in years:
        if stored_figures.keepable(scope, year):
            summaries.scope_figures(scope, year, threshold)
            system_parts.cost_centres(scope, year)
            system_parts.pump_systems_without_cgm(scope, year)
    if report.trend_keepable(scope):
        report.kept_trend(scope)


def _warm_line_pages(scope: Scope, years: list[int]) -> None:
    """The report's pages of channels and of articles, which read the year's
    lines: kept as the lines are right after the run."""
    for year in years:
        if stored_figures.keepable(scope, year):
            breakdowns.channels_and_places(scope, year)
            report.articles_and_overuse(scope, year)


def _scopes() -> list[Scope]:
    """The region and each clinic, as a region user sees them (a transient
    user, never added to the session)."""
    region = User(username="followup-warming", role=Role.REGION)
    clinics = db.session.scalars(sa.select(Clinic).order_by(Clinic.id)).all()
    return [Scope(region, None, tuple(clinics))] + [
        Scope(region, clinic, (clinic,)) for clinic in clinics
    ]
