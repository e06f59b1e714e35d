"""The pump system's own cost beside the patient's total (TLV's comparable
figure: pump and its consumables, without CGM), and CGM as its own system, for
the report's first screen; and the cost per paying cost centre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from sesamlike.common.i18n import _
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import stored_figures
from sesamlike.followup.cost_centres import (
    CostCentreSum,
    cost_centre_sums,
    paid_elsewhere,
    paid_where,
    payers,
    remember_stored_payers,
    stored_cost_centre_sums_by_year,
    stored_payers,
)
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import ORE, Summary
from sesamlike.followup.summaries import scope_figures


@dataclass(frozen=True)
class SystemPart:
    system: str
    kind: str  # pump or cgm
    own: Summary  # over the system's own part (pump part or CGM part)
    total: Summary  # over the same patients' totals

    @property
    def own_share(self) -> Decimal | None:
        """The own part's share of the total, by the means."""
        if not self.total.mean:
            return None
        return self.own.mean / self.total.mean


def system_parts(scope: Scope, year: int) -> list[SystemPart]:
    """Per pump system and per CGM system: its own part and the total (the
    report's figures, `summaries`)."""
    groups = scope_figures(scope, year).groups
    parts = []
    for kind in ("pump", "cgm"):
        own, totals = groups[f"{kind}_part"], groups[kind]
        parts += [SystemPart(name, kind, own[name], totals[name])
                  for name in sorted(own)]  # fmt: skip
    return parts


@dataclass(frozen=True)
class WithoutCgm:
    """TLV's comparable figure: a pump system's cost per patient who uses it
    without CGM (the pump written off, and its consumables), and how much of
    it is consumables."""

    system: str
    patients: int
    mean: Decimal
    consumables_share: Decimal | None


def pump_systems_without_cgm(scope: Scope, year: int) -> list[WithoutCgm]:
    """Per pump system, over the patients in scope with that pump and no CGM
    system that year: the mean pump-system cost and the consumables' share of
    it. Without CGM a patient's devices are the pump, so the pump's write-off
    is the device cost and the rest of the pump part is its consumables.

    Read from the stored rows and payers only, so kept until the next run of
    the year (`stored_figures`): at 500,000 patients the query took 160 ms of
    a 25,000-patient clinic's report page."""
    if not stored_payers(scope, year):
        return _without_cgm(scope, year)
    return stored_figures.kept(
        stored_figures.scope_key("without_cgm", scope, year),
        lambda: stored_figures.run_token(year),
        lambda: _without_cgm(scope, year),
        lambda rows: [[r.system, r.patients, str(r.mean),
                       _text(r.consumables_share)] for r in rows],
        lambda rows: [WithoutCgm(system, patients, Decimal(mean), _decimal(share))
                      for system, patients, mean, share in rows],
    )  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _without_cgm(scope: Scope, year: int) -> list[WithoutCgm]:
    costs = PatientYearCost
    own = sa.func.sum(sa.func.coalesce(costs.pump_part_sek, 0))
    devices = sa.func.sum(costs.device_cost_sek)
    query = (
        sa.select(costs.pump_system, sa.func.count(), own, devices)
        .where(
            costs.year == year,
            costs.pump_system.isnot(None),
            costs.cgm_system.is_(None),
            paid_where(scope, year, costs.patient_id),
        )
        .group_by(costs.pump_system)
        .order_by(costs.pump_system)
    )
    rows = []
    for system, patients, own_sum, device_sum in db.session.execute(query):
        own_sum, device_sum = Decimal(str(own_sum)), Decimal(str(device_sum))
        mean = (own_sum / patients).quantize(ORE, rounding=ROUND_HALF_UP)
        share = (own_sum - device_sum) / own_sum if own_sum else None
        rows.append(WithoutCgm(system, patients, mean, share))
    return rows


@dataclass(frozen=True)
class CostCentres:
    """Who paid the costs of the patients in scope: each cost centre in scope,
    and what other clinics paid of the same patients (`paid_elsewhere`), so
    the table adds up to the patients' total."""

    centres: list[CostCentreSum]
    elsewhere: CostCentreSum | None

    @property
    def rows(self) -> list[CostCentreSum]:
        return self.centres + ([self.elsewhere] if self.elsewhere else [])

    @property
    def total_cost_sek(self) -> Decimal:
        return sum((row.total_cost_sek for row in self.rows), Decimal("0.00"))


_FIELDS = tuple(CostCentreSum.__dataclass_fields__)
_MONEY = {"device_cost_sek", "consumables_cost_sek", "vat_sek"}


def _row(sums: CostCentreSum) -> list:
    return [str(getattr(sums, f)) if f in _MONEY else getattr(sums, f) for f in _FIELDS]


def _sums(row: list) -> CostCentreSum:
    return CostCentreSum(*[Decimal(v) if f in _MONEY else v
                           for f, v in zip(_FIELDS, row, strict=True)])  # fmt: skip


def cost_centres(scope: Scope, year: int, today: date | None = None) -> CostCentres:
    """What each cost centre in scope paid that year (cost and volume), and
    what other clinics paid of the same patients; kept until the next run of
    the year when read from the stored payers (`stored_figures`)."""
    day = today or region_today()

    def compute() -> CostCentres:
        return CostCentres(
            cost_centre_sums(scope, year, day), paid_elsewhere(scope, year, day)
        )

    if not stored_payers(scope, year):
        return compute()
    return stored_figures.kept(
        stored_figures.scope_key("cost_centres_and_elsewhere", scope, year),
        lambda: stored_figures.run_token(year),
        compute,
        lambda paid: {
            "centres": [_row(c) for c in paid.centres],
            "elsewhere": _row(paid.elsewhere) if paid.elsewhere else None,
        },
        lambda kept: CostCentres(
            [_sums(row) for row in kept["centres"]],
            _sums(kept["elsewhere"]) if kept["elsewhere"] else None,
        ),
    )


def own_cost_by_year(scope: Scope, years: list[int]) -> dict[int, Decimal] | None:
    """What the cost centres in scope paid each year (the cost centre table's
    own rows, without what other clinics paid of the same patients): the
    budget's figure beside the trend's patients' whole cost. None for the
    region, where the two are the same."""
    if scope.region_wide:
        return None
    if stored_figures.postgresql():
        # Each year's table is kept (`cost_centres`): a few small statements
        # a year, where summing every payer row of every year on each view
        # took a 8,963-patient clinic's page from 28 to 34 ms (100,000 x 2).
        return {
            year: sum((c.total_cost_sek for c in cost_centres(scope, year).centres),
                      Decimal("0.00"))
            for year in years
        }  # fmt: skip
    return own_cost_summed(scope, years)


def own_cost_summed(scope: Scope, years: list[int]) -> dict[int, Decimal]:
    """`own_cost_by_year` in one statement over the stored payers (where
    nothing is kept, SQLite: each year's table apart was computed on every
    view, 240 against 283 ms for a clinic of 8,963 patients), rounded per
    cost centre and clinic as `cost_centre_sums` rounds its rows. A year
    without stored payers (the current one before its first run) is worked
    out from its lines."""
    _find_stored_payers(scope, years)
    stored = [year for year in years if stored_payers(scope, year)]
    sums = stored_cost_centre_sums_by_year(scope, stored) if stored else {}
    today = region_today()
    return {
        year: sum(
            (c.total_cost_sek for c in sums.get(year, [])) if year in stored
            else (c.total_cost_sek for c in cost_centre_sums(scope, year, today)),
            Decimal("0.00"),
        )
        for year in years
    }  # fmt: skip


def _find_stored_payers(scope: Scope, years: list[int]) -> None:
    """Which of the years have stored payers, in one statement for those the
    scope has not asked yet (`stored_payers` asks one year at a time)."""
    unknown = [year for year in years if ("stored_payers", year) not in scope.memo]
    if not unknown:
        return
    found = db.session.execute(
        sa.select(*(sa.exists().where(payers.c.year == year) for year in unknown))
    ).one()
    for year, stored in zip(unknown, found, strict=True):
        remember_stored_payers(scope, year, bool(stored))


def own_cost_label(scope: Scope) -> str:
    """The heading of `own_cost_by_year`'s column."""
    if len(scope.clinic_ids() or ()) > 1:
        return _("Varav mottagningarnas kostnadsställen (kr)")
    return _("Varav mottagningens kostnadsställe (kr)")
