"""A test run that would cross the region's midnight waits for it first."""

from datetime import UTC, datetime, timedelta

from tests.midnight import wait_before

MARGIN = timedelta(minutes=15)


def test_a_run_well_before_midnight_does_not_wait():
    # 21:59 UTC is 22:59 in Stockholm in winter.
    assert wait_before(datetime(2026, 12, 3, 21, 59, tzinfo=UTC), MARGIN) == timedelta(
        0
    )


def test_a_run_near_midnight_in_stockholm_waits_until_just_past_it():
    # 22:50 UTC is 23:50 in Stockholm (UTC+1 in winter): ten minutes to go.
    wait = wait_before(datetime(2026, 12, 3, 22, 50, tzinfo=UTC), MARGIN)
    assert wait == timedelta(minutes=10, seconds=5)


def test_summer_time_moves_the_region_midnight_to_22_utc():
    # 21:55 UTC is 23:55 in Stockholm in summer (UTC+2).
    wait = wait_before(datetime(2026, 7, 1, 21, 55, tzinfo=UTC), MARGIN)
    assert wait == timedelta(minutes=5, seconds=5)


def test_just_after_midnight_does_not_wait():
    assert wait_before(
        datetime(2026, 12, 3, 23, 0, 1, tzinfo=UTC), MARGIN
    ) == timedelta(0)
