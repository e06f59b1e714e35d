"""Read and write the catalogue CSV of interfaces.md. Pure: no database, no Flask.

`parse_catalogue_csv` checks every row and collects every problem with its line
number in the file (the header is line 1), so one run tells a region everything
that is wrong with a supplier file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sesamlike.catalog.rows import (
    COLUMNS,
    SYSTEM_SEPARATOR,
    ArticleRow,
    check_row,
)
from sesamlike.common.csvfiles import (
    CsvLayout,
    FieldError,
    FileInvalid,
    Row,
    RowProblem,
    read_csv,
)
from sesamlike.common.i18n import Plural
from sesamlike.common.spreadsheets import csv_text

__all__ = [
    "COLUMNS",
    "ArticleRow",
    "CatalogueInvalid",
    "FieldError",
    "ParsedCatalogue",
    "RowProblem",
    "parse_catalogue_csv",
    "write_catalogue_csv",
]


class CatalogueInvalid(FileInvalid):
    """A catalogue file with bad rows; `problems` holds each row's line and errors."""

    code = "catalogue_invalid"
    message = Plural(
        "Katalogfilen har fel på {count} rad; inget importerades.",
        "Katalogfilen har fel på {count} rader; inget importerades.",
        count="count",
    )

    @property
    def rows(self) -> list[tuple[int, list[str]]]:
        """(line, Swedish messages) per bad row, in file order."""
        return [(p.line, [str(e) for e in p.errors]) for p in self.problems]


CATALOGUE = CsvLayout(COLUMNS, invalid=CatalogueInvalid, key="article_no", no_rows=None)


@dataclass
class ParsedCatalogue:
    rows: list[ArticleRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_catalogue_csv(text: str) -> ParsedCatalogue:
    """Parse catalogue CSV text; every problem of every row lands in `problems`."""
    first_line_of: dict[str, int] = {}

    def check(row: Row) -> ArticleRow | None:
        article = check_row(row)
        article_no = row["article_no"]
        if article_no in first_line_of:
            duplicate = FieldError(
                "Artikelnumret {article_no} finns redan på rad {line}.",
                article_no=article_no,
                line=first_line_of[article_no],
            )
            duplicate.column = "article_no"
            row.errors.insert(0, duplicate)
        elif article_no:
            first_line_of[article_no] = row.line
        return article

    try:
        return ParsedCatalogue(read_csv(text, CATALOGUE).check(check))
    except CatalogueInvalid as error:
        return ParsedCatalogue(problems=error.problems)


def write_catalogue_csv(articles: Iterable[Any]) -> str:
    """Catalogue CSV text for articles (models or ArticleRows), in the given order."""
    return csv_text(COLUMNS, [_cells(a) for a in articles])


def _cells(a: Any) -> list:
    return [
        a.article_no,
        a.name,
        a.category,
        SYSTEM_SEPARATOR.join(_names(a.systems)),
        a.gtin or "",
        a.iso9999 or "",
        a.supplier,
        a.pack_size,
        Decimal(a.pack_price_sek),
        _plain(a.vat_rate),
        _yes_no(a.procured),
        _blank(a.first_choice_rank),
        _yes_no(a.benefit),
        a.channel,
        _yes_no(a.serial_tracked),
        _plain(a.units_per_day),
        _blank(a.amortisation_years),
        a.valid_from.isoformat(),
        a.valid_to.isoformat() if a.valid_to else "",
    ]


def _names(systems: Iterable[Any]) -> list[str]:
    return [s if isinstance(s, str) else s.name for s in systems]


def _plain(value: Decimal | None) -> str:
    """0.2500 -> 0.25, 2.0 -> 2: no exponent, no trailing zeros."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
