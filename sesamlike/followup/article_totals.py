"""The article page's sum, what it covers, and how it meets the report's total.

A clinic's article page holds the lines that clinic's cost centre paid
(`report.articles_and_overuse`), while the report's "Total kostnad" is the
whole cost of the patients it paid part of: what other clinics paid of the
same patients (a patient who moved, a prescription of another clinic) is in
the total and not among the articles. The region's holds every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sesamlike.common.i18n import _
from sesamlike.followup import system_parts
from sesamlike.followup.report import ArticleRow
from sesamlike.followup.scope import Scope
from sesamlike.followup.summaries import scope_figures


@dataclass(frozen=True)
class ArticleSum:
    """The sum row: units, lines and cost of the rows as shown (each rounded
    to öre). Patients are not summed: one patient uses several articles."""

    units: int
    lines: int
    cost: Decimal


def article_sum(rows: Sequence[ArticleRow]) -> ArticleSum:
    return ArticleSum(
        sum(row.units for row in rows),
        sum(row.lines for row in rows),
        sum((row.cost for row in rows), Decimal("0.00")),
    )


def covers(scope: Scope) -> str:
    """Whose payments the articles are, in a few words (the export's sum row)."""
    if scope.region_wide:
        return _("Alla kostnadsställen i regionen")
    if len(scope.clinic_ids()) == 1:
        return _("Det som mottagningens kostnadsställe betalar")
    return _("Det som mottagningarnas kostnadsställen betalar")


@dataclass(frozen=True)
class ArticleTotals:
    sum: ArticleSum
    report_total: Decimal | None  # the report's "Total kostnad"; None: no costs
    elsewhere: Decimal  # of the same patients, paid by clinics out of scope

    @property
    def rounding(self) -> Decimal:
        """What is left between the report's total and the sum with what
        others paid: each article's, row's and patient's cost is rounded on
        its own."""
        if self.report_total is None:
            return Decimal("0.00")
        return abs(self.report_total - self.sum.cost - self.elsewhere)


def article_totals(
    scope: Scope, year: int, rows: Sequence[ArticleRow]
) -> ArticleTotals:
    """The sum row, the report's total and what other clinics paid of the
    same patients (the report's own figures, kept until the next run)."""
    overall = scope_figures(scope, year).groups["overall"].get(None)
    elsewhere = None
    if not scope.region_wide:
        elsewhere = system_parts.cost_centres(scope, year).elsewhere
    return ArticleTotals(
        article_sum(rows),
        overall.total if overall else None,
        elsewhere.total_cost_sek if elsewhere else Decimal("0.00"),
    )
