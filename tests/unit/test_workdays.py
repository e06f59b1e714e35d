"""Working days skip the Swedish public holidays and the eves nobody delivers on."""

from __future__ import annotations

from datetime import date

import pytest

from sesamlike.common.workdays import add_working_days, easter_sunday, is_working_day


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25))],
)  # fmt: skip
def test_easter_day_is_the_almanacs(year, easter):
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # New Year's Day, Thursday
        date(2026, 1, 6),  # Epiphany, Tuesday
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),  # 1 May, Friday
        date(2026, 5, 14),  # Ascension Day, Thursday
        date(2027, 5, 6),  # Ascension Day, Thursday
        date(2026, 6, 19),  # Midsummer Eve
        date(2027, 6, 25),  # Midsummer Eve
        date(2025, 12, 24),  # Christmas Eve, Wednesday
        date(2026, 12, 25),  # Christmas Day, Friday
        date(2025, 12, 26),  # Boxing Day, Friday
        date(2026, 12, 31),  # New Year's Eve, Thursday
        date(2026, 6, 6),  # National Day, on a Saturday
    ],
)
def test_holidays_and_eves_are_no_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day", [date(2026, 4, 2), date(2026, 4, 7), date(2026, 6, 18), date(2026, 12, 23)]
)
def test_the_days_around_them_are(day):
    assert is_working_day(day)


def test_five_working_days_over_christmas_and_new_year():
    # Tue 22 Dec 2026: Wed 23, (24, 25, weekend), Mon 28, Tue 29, Wed 30,
    # (31, 1 Jan, weekend), Mon 4 Jan.
    assert add_working_days(date(2026, 12, 22), 5) == date(2027, 1, 4)


def test_two_working_days_over_easter():
    # Wed 1 Apr 2026: Thu 2, (Good Friday, weekend, Easter Monday), Tue 7.
    assert add_working_days(date(2026, 4, 1), 2) == date(2026, 4, 7)
