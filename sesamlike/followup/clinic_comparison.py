"""The region's clinics side by side, for equal care across the region: each
clinic's patients and their annual cost as that clinic's own report gives them
(`summaries.scopes_figures`), and its assortment compliance
(`report.compliance_per_clinic`).
A patient two clinics paid for counts at both, as in their reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sesamlike.accounts.models import Clinic
from sesamlike.followup.report import compliance_per_clinic
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
from sesamlike.followup.summaries import scopes_figures


@dataclass(frozen=True)
class ClinicRow:
    clinic: Clinic
    summary: Summary | None  # None: no patient with a cost that year
    prescriptions: int
    procured: int
    first_choice: int

    @property
    def procured_share(self) -> Decimal | None:
        return self._share(self.procured)

    @property
    def first_choice_share(self) -> Decimal | None:
        return self._share(self.first_choice)

    def _share(self, count: int) -> Decimal | None:
        return Decimal(count) / self.prescriptions if self.prescriptions else None


def clinic_rows(scope: Scope, year: int) -> list[ClinicRow]:
    """One row per clinic of the region, by name; none outside the region's
    whole-region view."""
    if not scope.region_wide:
        return []
    written = compliance_per_clinic(year)
    none = {"total": 0, "procured": 0, "first_choice": 0}
    each = [Scope(scope.user, clinic, scope.clinics) for clinic in scope.clinics]
    rows = []
    for one, found in zip(each, scopes_figures(each, year), strict=True):
        counts = written.get(one.clinic.id, none)
        rows.append(
            ClinicRow(
                one.clinic,
                found.groups["overall"].get(None),
                counts["total"],
                counts["procured"],
                counts["first_choice"],
            )
        )
    return rows
