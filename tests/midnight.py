"""A test run does not cross midnight in the region.

Many test modules fix the region's day when they are imported (`TODAY =
region_today()`), while the app asks for the day at each request. A run that
crossed midnight in Stockholm (23:00 UTC in winter) failed tests that had
nothing wrong with them: a page said "11 dagar" where the test, from the day
before, expected "10 dagar". A run that would begin within MARGIN of midnight
waits for the new day first, and says so.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sesamlike.common.time import REGION_TIMEZONE

# A whole `make test` on the slower database, with room: 4.5 min in CI
# (.ci/run runs two, one after the other, in under 20 min even after a wait).
MARGIN = timedelta(minutes=int(os.environ.get("SESAMLIKE_TEST_MIDNIGHT_MARGIN", "8")))


def wait_before(now: datetime, margin: timedelta = MARGIN) -> timedelta:
    """How long a run beginning at `now` waits: until just past the region's
    midnight when that is within `margin`, else not at all."""
    local = now.astimezone(REGION_TIMEZONE)
    next_day = local.date() + timedelta(days=1)
    midnight = datetime(next_day.year, next_day.month, next_day.day,
                        tzinfo=REGION_TIMEZONE)  # fmt: skip
    left = midnight.astimezone(UTC) - now.astimezone(UTC)
    if left > margin:
        return timedelta(0)
    return left + timedelta(seconds=5)
