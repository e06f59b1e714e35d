"""The pump system's own cost beside the patient's total (TLV's comparable
figure: pump and its consumables, without CGM), and CGM as its own system, for
the report's first screen; and the cost per paying cost centre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.cost_centres import CostCentreSum, cost_centre_sums, paid_where
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary, grouped


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
    """Per pump system and per CGM system: its own part and the total."""
    rows = db.session.execute(
        sa.select(PatientYearCost.pump_system, PatientYearCost.cgm_system,
                  PatientYearCost.total_cost_sek, PatientYearCost.pump_part_sek,
                  PatientYearCost.cgm_part_sek)
        .where(PatientYearCost.year == year,
               paid_where(scope, year, PatientYearCost.patient_id))
    ).all()  # fmt: skip
    parts = []
    kinds = (("pump", "pump_system", "pump_part_sek"),
             ("cgm", "cgm_system", "cgm_part_sek"))  # fmt: skip
    for kind, column, part in kinds:
        mine = [r for r in rows if getattr(r, column)]
        own = grouped((getattr(r, column), getattr(r, part) or 0) for r in mine)
        totals = grouped((getattr(r, column), r.total_cost_sek) for r in mine)
        parts += [SystemPart(name, kind, own[name], totals[name])
                  for name in sorted(own)]  # fmt: skip
    return parts


def cost_centres(scope: Scope, year: int,
                 today: date | None = None) -> list[CostCentreSum]:  # fmt: skip
    """What each cost centre in scope paid that year (cost and volume)."""
    return cost_centre_sums(scope, year, today or region_today())
