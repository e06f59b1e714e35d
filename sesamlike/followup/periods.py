"""The days a year's figures count: the current year's only up to today.

The cost rules count the current year up to and including the region's today
(devices for their days so far, the consumables delivered so far), so its
figures are part of a year. Wherever a year names the period of a figure (the
report's heading, the year choice, the trend and its exports), the current
year says so, "2026 (t.o.m. 5 december)": beside a whole year it was read as
costs going down.
"""

from __future__ import annotations

from datetime import date

from sesamlike.common.formatting import format_day_month
from sesamlike.common.i18n import _


def counted_to(year: int, today: date) -> date | None:
    """The last day the year's figures count: 31 December of a past year,
    today in the current one; None for a year not begun."""
    if year < today.year:
        return date(year, 12, 31)
    return today if year == today.year else None


def year_label(year: int, today: date) -> str:
    """The year as a figure's period: "2026 (t.o.m. 5 december)" for the
    current year, "2025" for a whole one."""
    if year == today.year:
        return _("{year} (t.o.m. {day})", year=year, day=format_day_month(today))
    return str(year)
