"""Each pump and CGM system's patients and mean annual cost, year by year: the
report's own statistics of each year (`summaries.scope_figures`) side by side,
for the chosen year and the two before it that have figures."""

from __future__ import annotations

from dataclasses import dataclass

from sesamlike.followup.report import NO_SYSTEM, years_with_costs
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
from sesamlike.followup.summaries import scope_figures

YEARS_SHOWN = 3


@dataclass(frozen=True)
class SystemYears:
    system: str
    kind: str  # "pump" or "cgm"
    by_year: dict[int, Summary]  # a year without the system's patients: absent


def system_years(scope: Scope, year: int) -> tuple[list[int], list[SystemYears]]:
    """The years compared (oldest first) and a row per system that had
    patients in one of them: pump systems first, each kind by name. Patients
    without a system are left out: they are the other kind's."""
    found = {}
    for each in sorted((y for y in years_with_costs() if y <= year), reverse=True):
        figures = scope_figures(scope, each)
        if figures.groups["overall"]:
            found[each] = figures
        if len(found) == YEARS_SHOWN:
            break
    years = sorted(found)
    rows = []
    for kind in ("pump", "cgm"):
        names = {name for y in years for name in found[y].groups[kind]} - {NO_SYSTEM}
        for name in sorted(names, key=str.casefold):
            by_year = {y: found[y].groups[kind][name]
                       for y in years if name in found[y].groups[kind]}  # fmt: skip
            rows.append(SystemYears(name, kind, by_year))
    return years, rows
