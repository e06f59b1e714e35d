"""Working days in Sweden: Monday to Friday, less the public holidays and the
eves that aids centres, suppliers and the post keep closed.

The public holidays (helgdagar, lagen om allmänna helgdagar) that fall on a
weekday: New Year's Day, Epiphany, Good Friday, Easter Monday, 1 May,
Ascension Day, the National Day, Christmas Day and Boxing Day. Beside them the
eves nobody works or delivers on: Midsummer Eve, Christmas Eve and New Year's
Eve. (Midsummer Day and All Saints' Day are always Saturdays.)
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


def easter_sunday(year: int) -> date:
    """Easter Day of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's name)
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    return date(year, month, (h + l - 7 * m + 33 * month + 19) % 32)


@cache
def days_off(year: int) -> frozenset[date]:
    """The year's weekdays and weekend days that are no working day beside
    Saturdays and Sundays (some fall on a weekend; they change nothing then)."""
    easter = easter_sunday(year)
    midsummer_eve = next(
        date(year, 6, day) for day in range(19, 26) if date(year, 6, day).weekday() == 4
    )
    return frozenset(
        {
            date(year, 1, 1),
            date(year, 1, 6),
            easter - timedelta(days=2),  # Good Friday
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),
            easter + timedelta(days=39),  # Ascension Day
            date(year, 6, 6),
            midsummer_eve,
            date(year, 12, 24),
            date(year, 12, 25),
            date(year, 12, 26),
            date(year, 12, 31),
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in days_off(day.year)


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
