"""Page numbers and other numbers from a query string, kept within bounds.

A number a user types into a URL never reaches the database unchecked: a page
beyond any real list (`?page=99999999999999999999`) is the last page we would
ever show, not an overflow in the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    """One page of a list (`items`), and how many the whole list has."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        """The number of the page's first item in the whole list."""
        return (self.page - 1) * self.per_page + 1


def page_count(total: int, per_page: int) -> int:
    """The pages `total` rows fill, `per_page` a page: at least one."""
    return max(1, -(-total // per_page))


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
