"""Daily stock jobs: low-stock purchase proposals and the expiry check.

Each is `function(now) -> counts`, safe to repeat on the same day: proposals are
one open per depot and article, expiry flags one per lot, and a quarantined lot
is not quarantined again.
"""

from __future__ import annotations

from datetime import date, datetime

from sesamlike.common.time import REGION_TIMEZONE
from sesamlike.stock import expiry, replenishment

# The region's calendar decides what "today" is for a job started at `now`.


def low_stock_check(now: datetime) -> dict[str, int]:
    """Propose purchases for articles at or below their depot's reorder point."""
    return replenishment.check_low_stock(region_day(now))


def expiry_check(now: datetime) -> dict[str, int]:
    """Flag lots expiring within 60 days and quarantine the expired."""
    return expiry.check_expiry(region_day(now))


def region_day(now: datetime) -> date:
    return now.astimezone(REGION_TIMEZONE).date()
