"""Amounts, numbers, percentages and dates as the reader's language writes them.

The one place that formats them, through Babel: pages (as Jinja filters), mails
and exports call these. Swedish writes "30 282,90 kr", "99,5 %" and "2 mars 2026";
English is British ("SEK 30,282.90", "99.5%", "2 March 2026"): a Swedish region's
English readers expect day-month dates and 24-hour times.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import dates, lists, numbers

from sesamlike.common.i18n import get_locale
from sesamlike.common.time import REGION_TIMEZONE, region_day_of

# The interface language (the catalogue's) and the conventions it is written in.
BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
CURRENCY = "SEK"
# CLDR puts a space between a currency code and the digits beside it ("currency
# spacing"); Babel leaves it out ("SEK30,282.90"), so English says it itself.
CURRENCY_FORMATS = {"en_GB": "¤\u00a0#,##0.00"}


def babel_locale(locale: str | None = None) -> str:
    """The Babel locale for an interface language; the request's by default."""
    return BABEL_LOCALES.get(locale or get_locale(), BABEL_LOCALES["sv"])


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_sek(amount, locale: str | None = None) -> str:
    """An amount in kronor with its currency: 30 282,90 kr (SEK 30,282.90), the
    spaces no-break ones."""
    locale = babel_locale(locale)
    return numbers.format_currency(
        _decimal(amount), CURRENCY, CURRENCY_FORMATS.get(locale), locale=locale
    )


def format_amount(amount, locale: str | None = None, *, decimals: int = 2) -> str:
    """An amount without its currency, for a column headed "(kr)": 30 282,90."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(
        _decimal(amount), format=pattern, locale=babel_locale(locale)
    )


def format_number(value, locale: str | None = None) -> str:
    """A count or quantity, every digit kept: 12 500, 0,3333 (12,500, 0.3333)."""
    return numbers.format_decimal(
        _decimal(value), locale=babel_locale(locale), decimal_quantization=False
    )


def format_list(items: list[str], locale: str | None = None) -> str:
    """Items as the language lists them: "a, b och c" ("a, b and c")."""
    return lists.format_list(items, style="standard", locale=babel_locale(locale))


def format_alternatives(items: list[str], locale: str | None = None) -> str:
    """Alternatives as the language lists them: "a, b eller c" ("a, b or c")."""
    return lists.format_list(items, style="or", locale=babel_locale(locale))


def format_percent(fraction, locale: str | None = None, *, decimals: int = 1) -> str:
    """A share (0.995) as a percentage to `decimals` places at most: 99,5 %."""
    exponent = Decimal(1).scaleb(-(decimals + 2))
    rounded = _decimal(fraction).quantize(exponent, rounding=ROUND_HALF_UP)
    return numbers.format_percent(
        rounded, locale=babel_locale(locale), decimal_quantization=False
    )


def _region_day(day: date | datetime) -> date:
    if isinstance(day, datetime):  # a UTC timestamp (naive from SQLite)
        return region_day_of(day)
    return day


def format_date(day: date | datetime, locale: str | None = None) -> str:
    """A date as people write it: 2 mars 2026 (2 March 2026)."""
    return _formatted(_region_day(day), "long", babel_locale(locale))


def format_day_month(day: date, locale: str | None = None) -> str:
    """A day of a year already named beside it: 5 december (5 December)."""
    return _formatted(day, "d MMMM", babel_locale(locale))


class ReadersDate(date):
    """A date that a message fills in as its reader's language writes it
    ("30 juni 2018", "30 June 2018"): a domain error's params are filled in
    where the refusal is shown (page, API, job), in that language, Swedish
    outside a request. An explicit format spec still gets `date`'s own."""

    @classmethod
    def of(cls, day: date) -> ReadersDate:
        return cls(day.year, day.month, day.day)

    def __format__(self, spec: str) -> str:
        return super().__format__(spec) if spec else format_date(self)


class ReadersNumber(int):
    """A count that a message fills in grouped as its reader's language groups
    digits ("1 000 000", "1,000,000"), as `{n}` of a plural text is; below a
    thousand as it is (no call to Babel for most counts). An explicit format
    spec still gets `int`'s own."""

    def __format__(self, spec: str) -> str:
        if spec or -1000 < self < 1000:
            return super().__format__(spec)
        return format_number(int(self))


def format_short_date(day: date | datetime, locale: str | None = None) -> str:
    """A date in a table column: 2026-03-02 (2 Mar 2026: 02/03/2026 reads as
    3 February to half the English-speaking world)."""
    locale = babel_locale(locale)
    return _formatted(_region_day(day), _short_width(locale), locale)


def _short_width(locale: str) -> str:
    """Swedish short dates are ISO 8601; others' are day and month in an order
    that depends on the reader, so the month is written out."""
    return "short" if locale.startswith("sv") else "medium"


@functools.lru_cache(maxsize=4096)
def _formatted(day: date, width: str, locale: str) -> str:
    """Babel parses the locale and pattern on every call; a page repeats dates."""
    return dates.format_date(day, width, locale=locale)


def format_datetime(
    moment: datetime | None, locale: str | None = None, *, seconds: bool = False
) -> str:
    """A timestamp on the region's clock: 2026-03-02 14:05 (2 Mar 2026, 14:05)."""
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite: naive
    locale = babel_locale(locale)
    local = moment.astimezone(REGION_TIMEZONE)
    return dates.get_datetime_format("short", locale=locale).format(
        dates.format_time(local, "medium" if seconds else "short", locale=locale),
        _formatted(local.date(), _short_width(locale), locale),
    )


def format_postal_code(code: str | None) -> str:
    """A Swedish postal code as it is written: "871 42" (stored "87142");
    anything else as stored."""
    code = code or ""
    return f"{code[:3]} {code[3:]}" if len(code) == 5 and code.isdecimal() else code


FILTERS = {
    "postal_code": format_postal_code,
    "sek": format_sek,
    "amount": format_amount,
    "number": format_number,
    "percent": format_percent,
    "date": format_date,
    "shortdate": format_short_date,
    "datetime": format_datetime,
    "local_time": format_datetime,
}


def init_app(app) -> None:
    app.jinja_env.filters.update(FILTERS)
