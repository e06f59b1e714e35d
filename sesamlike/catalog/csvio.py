"""Read and write the catalogue CSV of interfaces.md. Pure: no database, no Flask.

`parse_catalogue_csv` checks every row and collects every problem with its line
number in the file (the header is line 1), so one run tells a region everything
that is wrong with a supplier file.
"""

from __future__ import annotations

import csv
import io
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
from sesamlike.common.csvfiles import FieldError, RowProblem

__all__ = [
    "COLUMNS",
    "ArticleRow",
    "FieldError",
    "ParsedCatalogue",
    "RowProblem",
    "parse_catalogue_csv",
    "write_catalogue_csv",
]


@dataclass
class ParsedCatalogue:
    rows: list[ArticleRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_catalogue_csv(text: str) -> ParsedCatalogue:
    """Parse catalogue CSV text; every problem of every row lands in `problems`."""
    result = ParsedCatalogue()
    reader = csv.reader(
        io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True
    )
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.problems.append(_unreadable(1, exc))
        return result
    if not header or not any(cell.strip() for cell in header):
        empty = FieldError("Filen är tom: den ska börja med en rubrikrad.")
        result.problems.append(RowProblem(1, None, [empty]))
        return result
    names = [cell.strip() for cell in header]
    header_errors = _check_header(names)
    if header_errors:
        result.problems.append(RowProblem(1, None, header_errors))

    first_line_of: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.problems.append(_unreadable(reader.line_num, exc))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, or a spreadsheet's trailing ",,,,"
        if len(cells) != len(names):
            error = FieldError(
                "Raden har {found} fält men rubriken har {expected}.",
                found=len(cells),
                expected=len(names),
            )
            result.problems.append(RowProblem(start, None, [error]))
            continue
        values = {
            n: c.strip() for n, c in zip(names, cells, strict=True) if n in COLUMNS
        }
        row, errors = check_row(start, values)
        article_no = values.get("article_no") or None
        if article_no:
            if article_no in first_line_of:
                duplicate = FieldError(
                    "Artikelnumret {article_no} finns redan på rad {line}.",
                    article_no=article_no,
                    line=first_line_of[article_no],
                )
                duplicate.column = "article_no"
                errors.insert(0, duplicate)
            else:
                first_line_of[article_no] = start
        if errors:
            result.problems.append(RowProblem(start, article_no, errors))
        elif row is not None:
            result.rows.append(row)
    if result.problems:
        result.rows = []
    return result


def _unreadable(line: int, exc: csv.Error) -> RowProblem:
    return RowProblem(
        line,
        None,
        [FieldError("Raden går inte att läsa som CSV ({detail}).", detail=str(exc))],
    )


def _check_header(names: list[str]) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for name in names:
        if not name:
            errors.append(FieldError("Rubrikraden har en kolumn utan namn."))
        elif name not in COLUMNS:
            errors.append(FieldError("Okänd kolumn: {column}.", column=name))
        elif name in seen:
            errors.append(
                FieldError("Kolumnen {column} finns två gånger.", column=name)
            )
        seen.add(name)
    errors.extend(
        FieldError("Kolumnen {column} saknas.", column=name)
        for name in COLUMNS
        if name not in seen
    )
    return errors


def write_catalogue_csv(articles: Iterable[Any]) -> str:
    """Catalogue CSV text for articles (models or ArticleRows), in the given order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in articles:
        writer.writerow(
            [
                a.article_no,
                a.name,
                a.category,
                SYSTEM_SEPARATOR.join(_names(a.systems)),
                a.gtin or "",
                a.iso9999 or "",
                a.supplier,
                a.pack_size,
                f"{a.pack_price_sek:.2f}",
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
        )
    return out.getvalue()


def _names(systems: Iterable[Any]) -> list[str]:
    return [s if isinstance(s, str) else s.name for s in systems]


def _plain(value: Decimal | None) -> str:
    """0.2500 -> 0.25, 2.0 -> 2: no exponent, no trailing zeros."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
