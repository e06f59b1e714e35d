"""Estimated run-out of consumables, computed by hand."""

from datetime import date
from decimal import Decimal

import pytest

from sesamlike.portal.runout import estimated_runout, last_delivery, reminder_on


@pytest.mark.parametrize(
    ("delivered_on", "packs", "pack_size", "units_per_day", "runs_out_on"),
    [
        # 10 infusion sets, one every third day: 10 / 0.3333 = 30.003 -> 30 days.
        (date(2026, 3, 1), 1, 10, Decimal("0.3333"), date(2026, 3, 31)),
        # 3 packs of 10 pods at one every third day: 90.009 -> 90 days.
        (date(2026, 1, 1), 3, 10, Decimal("0.3333"), date(2026, 4, 1)),
        # 2 packs of 10 reservoirs at one every second day: exactly 40 days.
        (date(2026, 5, 10), 2, 10, Decimal("0.5"), date(2026, 6, 19)),
        # One 14-day CGM sensor (0.0714 a day): 14.0056 -> 14 days.
        (date(2026, 12, 25), 1, 1, Decimal("0.0714"), date(2027, 1, 8)),
        # Across a leap day: 30 days from 1 February 2028 is 2 March.
        (date(2028, 2, 1), 1, 10, Decimal("0.3333"), date(2028, 3, 2)),
        # Two batteries a month as a float rate: 4 / (1/15) = 60 days.
        (date(2026, 1, 31), 1, 4, 1 / 15, date(2026, 4, 1)),
        # Nothing delivered lasts no day.
        (date(2026, 3, 1), 0, 10, Decimal("0.3333"), date(2026, 3, 1)),
    ],
)
def test_runout_is_the_delivery_day_plus_the_whole_days_it_lasts(
    delivered_on, packs, pack_size, units_per_day, runs_out_on
):
    runout = estimated_runout(delivered_on, packs, pack_size, units_per_day)
    assert runout == runs_out_on


@pytest.mark.parametrize("units_per_day", [0, Decimal("0"), -1])
def test_no_runout_without_a_positive_daily_use(units_per_day):
    with pytest.raises(ValueError):
        estimated_runout(date(2026, 3, 1), 1, 10, units_per_day)


def test_the_reminder_is_due_ten_days_before_runout():
    assert reminder_on(date(2026, 3, 31), 10) == date(2026, 3, 21)


def test_the_last_delivery_day_counts_all_its_packs():
    deliveries = [
        (date(2026, 1, 5), 3),
        (date(2026, 3, 1), 1),
        (date(2026, 2, 1), 2),
        (date(2026, 3, 1), 2),
    ]
    assert last_delivery(deliveries) == (date(2026, 3, 1), 3)


def test_no_delivery_gives_no_last_delivery():
    assert last_delivery([]) is None
