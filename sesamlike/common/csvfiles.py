"""Reading the channel files (docs/channel-files.md) in the project's CSV style.

Every row is checked and every problem kept with its line number in the file
(the header is line 1); the caller imports nothing when any row is bad.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sesamlike.common.errors import Invalid

MAX_ROWS = 50_000


class ChannelFileInvalid(Invalid):
    """A channel file with bad rows; `problems` holds each row's line and errors."""

    code = "channel_file_invalid"
    message = "Filen har fel på {count} rader; inget importerades."

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        """Swedish text, one line per problem: 'rad 4: status: Okänd ...'."""
        return [text for problem in self.problems for text in problem.lines()]


class Row:
    """One row's cells (stripped) and the problems found in them."""

    def __init__(self, line: int, values: dict[str, str]):
        self.line = line
        self.values = values
        self.errors: list[FieldError] = []

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def add(self, column: str | None, message: str, /, **params) -> None:
        error = FieldError(message, **params)
        error.column = column
        self.errors.append(error)

    def text(self, column: str, max_length: int, *, required: bool = True) -> str:
        value = self.values[column]
        if required and not value:
            self.add(column, "Värde saknas.")
        elif len(value) > max_length:
            self.add(column, "Högst {n} tecken.", n=max_length)
        return value

    def integer(self, column: str) -> int | None:
        value = self.values[column]
        if not value.isdigit() or not 0 < int(value) < 1_000_000_000:
            self.add(
                column, "Ska vara ett positivt heltal, inte «{value}».", value=value
            )
            return None
        return int(value)

    def date(self, column: str, *, required: bool) -> date | None:
        value = self.values[column]
        if not value:
            if required:
                self.add(column, "Datum saknas (ÅÅÅÅ-MM-DD).")
            return None
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.add(column, "Ogiltigt datum «{value}»; skriv ÅÅÅÅ-MM-DD.", value=value)
            return None

    def problem(self) -> RowProblem:
        return RowProblem(self.line, None, self.errors)


def read_rows(
    text: str, columns: tuple[str, ...], problems: list[RowProblem]
) -> list[Row]:
    """Rows with exactly `columns` (any order); header and shape problems appended."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[Row] = []
    header = Row(1, {})
    try:
        names = [cell.strip() for cell in next(reader, [])]
        for name in names:
            if name not in columns or names.count(name) > 1:
                header.add(None, "Okänd eller upprepad kolumn: {column}.", column=name)
        for name in columns:
            if name not in names:
                header.add(None, "Kolumnen {column} saknas.", column=name)
        if header.errors:
            problems.append(header.problem())
            return []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = Row(start, {})
            if len(cells) != len(names):
                row.add(
                    None,
                    "Raden har {found} fält men rubriken har {expected}.",
                    found=len(cells),
                    expected=len(names),
                )
                problems.append(row.problem())
                continue
            row.values = {n: c.strip() for n, c in zip(names, cells, strict=True)}
            rows.append(row)
            if len(rows) > MAX_ROWS:
                row.add(None, "Filen har fler än {n} rader.", n=MAX_ROWS)
                problems.append(row.problem())
                return []
    except csv.Error as exc:
        header.add(None, "Raden går inte att läsa som CSV ({detail}).", detail=exc)
        problems.append(RowProblem(reader.line_num, None, header.errors))
    if not rows and not problems:
        header.add(None, "Filen innehåller inga rader.")
        problems.append(header.problem())
    return rows


def write_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


class FieldError:
    """One problem in a row (a value, not an exception).

    `message` is Swedish source text with `{named}` parameters, translated at
    display with `_(error.message, **error.params)`; `str()` gives the Swedish.
    """

    __slots__ = ("message", "column", "params")

    def __init__(self, message: str, **params: Any):
        self.message = message
        self.column: str | None = None  # set when the problem is in one cell
        self.params = params

    def __str__(self) -> str:
        return self.message.format(**self.params)

    def __repr__(self) -> str:
        return f"<FieldError {self.column}: {self}>"


@dataclass
class RowProblem:
    line: int
    article_no: str | None
    errors: list[FieldError]

    def lines(self) -> list[str]:
        """Swedish text, one line per problem: 'rad 4: category: Okänd ...'."""
        return [
            f"rad {self.line}: " + (f"{e.column}: " if e.column else "") + str(e)
            for e in self.errors
        ]
