"""Time in the region: UTC timestamps, and calendar days in Swedish time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def stored_utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as UTC: SQLite gives it back naive (it was stored as UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


REGION_TIMEZONE = ZoneInfo("Europe/Stockholm")


def region_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(REGION_TIMEZONE).date()


def region_day_of(moment: datetime) -> date:
    """The region's calendar day of a UTC timestamp (SQLite returns it naive)."""
    return stored_utc(moment).astimezone(REGION_TIMEZONE).date()
