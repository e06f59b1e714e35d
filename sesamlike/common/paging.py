"""Page numbers and other numbers from a query string, kept within bounds.

A number a user types into a URL never reaches the database unchecked: a page
beyond any real list (`?page=99999999999999999999`) is the last page we would
ever show, not an overflow in the driver.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_PAGE = 100_000


def page_number(value: object) -> int:
    """1 for nothing or nonsense; at most MAX_PAGE."""
    try:
        number = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def bounded_decimal(
    value: object, *, low: Decimal, high: Decimal, default: Decimal | None
) -> Decimal | None:
    """A finite decimal within [low, high]; `default` for nothing or nonsense."""
    if value is None or str(value).strip() == "":
        return default
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return default
    if not number.is_finite() or not low <= number <= high:
        return default
    return number
