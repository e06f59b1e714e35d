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

import sqlalchemy as sa
from flask import g, has_request_context

from sesamlike.common.formatting import format_day_month
from sesamlike.common.i18n import _
from sesamlike.common.time import region_day_of, region_today
from sesamlike.extensions import db
from sesamlike.followup.models import FollowupRun


def figures_day(today: date | None = None) -> date:
    """The day the current year's stored figures count up to: that of its
    last run (a run counts through the day it runs), never after today. After
    midnight, before the nightly run, the figures still end yesterday."""
    if today is None and has_request_context():
        if "followup_figures_day" not in g:  # asked by the page, form and report
            g.followup_figures_day = figures_day(region_today())
        return g.followup_figures_day
    today = today or region_today()
    started = db.session.scalar(
        sa.select(sa.func.max(FollowupRun.started_at)).where(
            FollowupRun.year == today.year
        )
    )
    return today if started is None else min(today, region_day_of(started))


def counted_to(year: int, day: date) -> date | None:
    """The last day the year's figures count, `day` being `figures_day()`:
    31 December of a past year, `day` in the current one; None for a year not
    begun."""
    if year < day.year:
        return date(year, 12, 31)
    return day if year == day.year else None


def year_label(year: int, day: date) -> str:
    """The year as a figure's period, `day` being `figures_day()`: "2026 (t.o.m.
    5 december)" for the current year, "2025" for a whole one."""
    if year == day.year:
        return _("{year} (t.o.m. {day})", year=year, day=format_day_month(day))
    return str(year)
