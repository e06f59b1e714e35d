"""Summary statistics of annual costs: mean, median, p10, p25, p75, p90.

Percentiles use linear interpolation between the closest ranks (Hyndman and Fan
type 7, the default of numpy and R): for p in [0, 1] over n sorted values, the
position is h = (n - 1) p and the value x[floor h] + (h - floor h) (x[floor h + 1]
- x[floor h]). Results are rounded half up to öre.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")


def percentile(ordered: list[Decimal], p: Decimal | float | str) -> Decimal:
    """The p-quantile (0 <= p <= 1) of sorted, non-empty values, interpolated."""
    h = (len(ordered) - 1) * Decimal(str(p))
    low = int(h)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (h - low) * (ordered[high] - ordered[low])
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Summary:
    patients: int
    total: Decimal
    mean: Decimal
    median: Decimal
    p10: Decimal
    p25: Decimal
    p75: Decimal
    p90: Decimal
    minimum: Decimal
    maximum: Decimal


def summarise(values: Iterable[Decimal]) -> Summary | None:
    ordered = sorted(values)
    if not ordered:
        return None
    total = sum(ordered, Decimal(0))
    mean = (total / len(ordered)).quantize(ORE, rounding=ROUND_HALF_UP)
    return Summary(
        patients=len(ordered),
        total=total,
        mean=mean,
        median=percentile(ordered, "0.5"),
        p10=percentile(ordered, "0.1"),
        p25=percentile(ordered, "0.25"),
        p75=percentile(ordered, "0.75"),
        p90=percentile(ordered, "0.9"),
        minimum=ordered[0],
        maximum=ordered[-1],
    )


def upper_fence(summary: Summary) -> Decimal:
    """Above this a patient is far above the group's typical cost: the upper
    quartile plus 1.5 times the spread between the quartiles (Tukey's fence,
    where a box plot marks its outliers)."""
    spread = summary.p75 - summary.p25
    return (summary.p75 + spread * Decimal("1.5")).quantize(ORE, ROUND_HALF_UP)


def grouped(pairs: Iterable[tuple[object, Decimal]]) -> dict[object, Summary]:
    """Summaries per key, largest groups first."""
    groups: dict[object, list[Decimal]] = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    summaries = {key: summarise(values) for key, values in groups.items()}
    return dict(
        sorted(summaries.items(), key=lambda item: (-item[1].patients, str(item[0])))
    )
