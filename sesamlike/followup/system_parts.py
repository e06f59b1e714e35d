"""The pump system's own cost beside the patient's total (TLV's comparable
figure: pump and its consumables, without CGM), and CGM as its own system, for
the report's first screen; and the cost per paying cost centre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import stored_figures
from sesamlike.followup.cost_centres import (
    CostCentreSum,
    cost_centre_sums,
    paid_where,
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


def cost_centres(scope: Scope, year: int,
                 today: date | None = None) -> list[CostCentreSum]:  # fmt: skip
    """What each cost centre in scope paid that year (cost and volume); kept
    until the next run of the year when read from the stored payers
    (`stored_figures`)."""
    if not stored_payers(scope, year):
        return cost_centre_sums(scope, year, today or region_today())
    fields = tuple(CostCentreSum.__dataclass_fields__)
    money = {"device_cost_sek", "consumables_cost_sek", "vat_sek"}
    return stored_figures.kept(
        stored_figures.scope_key("cost_centres", scope, year),
        lambda: stored_figures.run_token(year),
        lambda: cost_centre_sums(scope, year, today or region_today()),
        lambda sums: [[str(getattr(s, f)) if f in money else getattr(s, f)
                       for f in fields] for s in sums],
        lambda rows: [CostCentreSum(*[Decimal(v) if f in money else v
                                      for f, v in zip(fields, row, strict=True)])
                      for row in rows],
    )  # fmt: skip
