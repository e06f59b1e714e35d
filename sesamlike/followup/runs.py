"""Run the annual cost computation for a year: all patients, or the changed ones.

An incremental run recomputes the patients with an order line changed
(`updated_at`) since the previous successful run of that year started, less a
margin: a line changed in a transaction that committed after that run read the
database carries an earlier timestamp, and recomputing a patient twice is
harmless. Without a previous run, or when the catalogue facts the rules read
have changed since it, the run is full; so is the first run of a year whose
costs are stored without their payers (computed before payers were stored).

Beside the costs, a run stores who paid them (`cost_centres.store_payers`):
an incremental run its changed patients', summed from the same pass over their
lines as their costs (`staging.stage(payers=True)`); a full run those of the patients
whose figures changed or who have a line written since the previous run (a
line's payer is its prescription's clinic, or the clinic stored on the line,
neither changed once written), and removes those of patients with no cost left
in the year; a year's first run, or one after a catalogue change, all of them
(again from the costs' pass over the lines).
Recomputing every patient's payers on a full rerun cost more than the rerun
itself (PostgreSQL, 100,000 patients: 3 s -> 10 s).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sesamlike.catalog.models import Article, System, article_systems
from sesamlike.common.time import region_day_of, utcnow
from sesamlike.extensions import db
from sesamlike.followup import staging
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.cost_centres import remove_stale_payers, store_payers
from sesamlike.followup.models import FollowupRun, PatientYearCost, PatientYearPayer
from sesamlike.followup.sqlfuncs import no_index
from sesamlike.orders.models import OrderLine

CHANGE_MARGIN = timedelta(minutes=10)
OUT_OF_RANGE = "22003"  # PostgreSQL's SQLSTATE for a number past its type's range
STEPS = 4  # for progress bars: scope, compute, remove stale and payers, record


class CatalogueChangedDuringRun(RuntimeError):
    """The catalogue changed while a run read it: nothing is stored; run again."""


@dataclass(frozen=True)
class RunResult:
    year: int
    full: bool
    patients: int  # patients whose year was computed by this run (with a cost)
    removed: int  # rows removed: nothing of theirs falls in the year any more
    seconds: float
    changed: int = 0  # rows written because their figures are new or changed


# Bumped when the rules change what a stored row holds: the digest changes, so
# the next run is full and rewrites every row.
# 2: warranty chains, restocked packs, pump and CGM parts; 3: a replacement's
# prescriber is its chain's first device's (rows stored without one get it);
# 4: a chain whose first device came back before its delivery was recorded
# runs from that return (stored rows had no end to it, or no cost); 5: a
# device lent again continues its first delivery's amortisation (it cost the
# whole price again); 6: a warranty swap of a device lent again takes its own
# patient's prescriber (it named the first patient's); 7: a device still with
# the patient after its amortisation names the pump or CGM system, at no cost
# and paid by no one (the patient had no pump system).
RULES_VERSION = 7


def catalogue_digest() -> str:
    """A fingerprint of every article fact and system link the rules read
    (and of the rules' version)."""
    rows = db.session.execute(
        sa.select(
            Article.id,
            Article.category,
            Article.amortisation_years,
            Article.pack_size,
            Article.units_per_day,
        ).order_by(Article.id)
    ).all()
    links = db.session.execute(
        sa.select(article_systems.c.article_id, System.name, System.kind)
        .join(System, System.id == article_systems.c.system_id)
        .order_by(article_systems.c.article_id, System.name)
    ).all()
    text = repr([RULES_VERSION, *[tuple(map(str, row)) for row in rows + links]])
    return hashlib.sha256(text.encode()).hexdigest()


def last_run(year: int) -> FollowupRun | None:
    return db.session.scalar(
        sa.select(FollowupRun)
        .where(FollowupRun.year == year)
        .order_by(FollowupRun.started_at.desc(), FollowupRun.id.desc())
        .limit(1)
    )


def computed_years(before: int) -> list[int]:
    """The years before `before` that a run has computed, oldest first."""
    found = sa.select(FollowupRun.year).where(FollowupRun.year < before).distinct()
    return sorted(db.session.scalars(found))


def stale_years(before: int) -> list[int]:
    """Computed years before `before` whose last run read another catalogue or
    another version of the rules than today's: their stored rows may be wrong."""
    digest = catalogue_digest()
    return [
        year
        for year in computed_years(before)
        if (run := last_run(year)) is not None and run.catalogue_digest != digest
    ]


def payers_missing(year: int) -> bool:
    """The year has stored costs but no stored payers: the next run is full."""

    def any_row(model) -> bool:
        found = sa.select(model.id).where(model.year == year).limit(1)
        return db.session.scalar(found) is not None

    return any_row(PatientYearCost) and not any_row(PatientYearPayer)


def changed_patients(since: datetime) -> sa.Select:
    """Patients with an order line written since `since` (a subquery).

    Found through the lines' index on updated_at: SQLite, without statistics,
    would rather walk the whole index by patient (in the order DISTINCT wants)
    and test every line's updated_at, 177 ms against 1 ms at 20,000 patients;
    `no_index` keeps the patient out of that choice."""
    patient = no_index(OrderLine.patient_id).label("patient_id")
    return sa.select(patient).where(OrderLine.updated_at >= since).distinct()


def run_year(
    year: int,
    *,
    full: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Compute and store the year's patient costs; one transaction, one commit."""
    step = progress or (lambda _n: None)
    started = time.perf_counter()
    now = now or utcnow()
    today = region_day_of(now)
    digest = catalogue_digest()
    previous = last_run(year)
    # After a catalogue change every row's systems are looked up again.
    rederive = previous is None or previous.catalogue_digest != digest
    # In the current year every device in use costs one more day each day: the
    # first run of a day computes every patient.
    new_day = year >= today.year and (
        previous is None or region_day_of(previous.started_at) != today
    )
    missing = payers_missing(year)
    full = full or rederive or new_day or missing
    # Who paid is recomputed for every patient when the year has none stored
    # or the catalogue changed (which lines fall in the year may differ);
    # else for the patients whose figures changed or whose lines were written.
    all_payers = previous is None or rederive or missing
    step(1)
    try:
        staging.tune_session()
        scope = None
        if not full:
            since = previous.started_at - CHANGE_MARGIN
            scope = staging.fix_scope(changed_patients(since))
        # An incremental run, and a run that stores every payer, read the
        # lines once for both costs and payers (`staging.groups`).
        together = scope is not None or all_payers
        # One reading of the amortisation years for staging and writing: the
        # rows are staged in the unit it gives and written back from it.
        amounts = Amounts.for_session()
        staged, amounts = _stage(year, scope, amounts, rederive=rederive,
                                 today=today, payers=together)  # fmt: skip
        step(1)
        changed = staging.write_year(year, now, rederive=rederive, amounts=amounts)
        removed = staging.remove_stale(year, now, scope, staged)
        patients = staging.count_year(year, now) if staged is None else staged
        if together:
            store_payers(year, today, scope, groups=staging.groups(),
                         few=scope is not None, amounts=amounts)  # fmt: skip
        else:
            since = previous.started_at - CHANGE_MARGIN
            touched = sa.union(staging.changed_rows(), changed_patients(since))
            # A rerun that changed nothing has no payers to store: building
            # their statement (a pass over the lines, for none) cost more
            # than asking first.
            if _any(touched):
                store_payers(year, today, touched, amounts=amounts)
            # A patient's payers outlive its row only when this run removed
            # the row (SQLite: those are not among the changed rows).
            if removed:
                remove_stale_payers(year)
        staging.drop_stage()
        staging.refresh_statistics(changed + removed)
        # The statements read the catalogue one at a time (systems, sensor
        # places, amortisation years): a change in between would mix two.
        if catalogue_digest() != digest:
            raise CatalogueChangedDuringRun(
                f"The catalogue changed during the run for {year}; "
                "nothing was stored. Run it again."
            )
        step(1)
        db.session.add(
            FollowupRun(
                year=year,
                full=full,
                started_at=now,
                finished_at=utcnow(),
                patients=patients,
                catalogue_digest=digest,
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    step(1)
    seconds = time.perf_counter() - started
    return RunResult(year, full, patients, removed, seconds, changed)


def _any(patients: sa.Select) -> bool:
    """Whether the select gives any patient."""
    found = sa.select(sa.literal(1)).select_from(patients.subquery()).limit(1)
    return db.session.scalar(found) is not None


def _stage(year: int, scope: sa.Select | None, amounts: Amounts,
           **kwargs) -> tuple[int | None, Amounts]:  # fmt: skip
    """`staging.stage` in 64-bit integers where they hold, and the amounts it
    staged in. A device part or sum past them (some ten million kronor a
    patient at the largest LCM) stops its statement on PostgreSQL; the year is
    then staged again in NUMERIC (`Amounts.widened`), exact however large."""
    if not (amounts.postgresql and amounts.whole_numbers):
        return staging.stage(year, scope, amounts=amounts, **kwargs), amounts
    try:
        with db.session.begin_nested():
            return staging.stage(year, scope, amounts=amounts, **kwargs), amounts
    except sa.exc.DataError as error:
        if getattr(error.orig, "sqlstate", None) != OUT_OF_RANGE:
            raise
    amounts = amounts.widened()
    return staging.stage(year, scope, amounts=amounts, **kwargs), amounts
