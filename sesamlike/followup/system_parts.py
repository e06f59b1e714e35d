"""The pump system's own cost beside the patient's total (TLV's comparable
figure: pump and its consumables, without CGM), and CGM as its own system, for
the report's first screen; and the cost per paying cost centre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sesamlike.common.time import region_today
from sesamlike.followup import stored_figures
from sesamlike.followup.cost_centres import (
    CostCentreSum,
    cost_centre_sums,
    stored_payers,
)
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
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
