"""A patient's use of each consumable in a year against its expected use: the
why behind a patient the report flags (over 1.5 × expected use of an article,
`report.overuse_query`), by the same measure, on the patient's page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sesamlike.followup.rules import CostLine
from sesamlike.prescriptions.quantities import OVERUSE_FACTOR


@dataclass(frozen=True)
class ArticleUse:
    article_no: str
    name: str
    units: int  # delivered in the year and kept (not put back on stock)
    expected: Decimal  # units_per_day × the days of the whole year

    @property
    def share(self) -> Decimal:
        return Decimal(self.units) / self.expected

    @property
    def over(self) -> bool:
        return self.units > self.expected * OVERUSE_FACTOR


def article_use(lines: Iterable[CostLine], year: int) -> list[ArticleUse]:
    """Each consumable with an expected use delivered in `year`, most used
    (against its expectation) first. The whole year's expectation, also in
    the current year, as the report's flag: deliveries ahead of use must not
    flag a patient in spring."""
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    units: dict[str, int] = {}
    found: dict[str, CostLine] = {}
    for line in lines:
        if line.durable or not line.units_per_day or not line.counted:
            continue
        if line.delivered_on.year != year:
            continue
        units[line.article_no] = (
            units.get(line.article_no, 0) + line.packs_kept * line.pack_size
        )
        found.setdefault(line.article_no, line)
    used = [
        ArticleUse(number, line.article_name, units[number],
                   Decimal(line.units_per_day) * days)
        for number, line in found.items()
    ]  # fmt: skip
    return sorted(used, key=lambda use: (-use.share, use.article_no))
