"""The one all-or-nothing reader of the CSV files the app imports.

Catalogue, delivered history, supplier status and pharmacy dispensing files all
go through `read_csv`: the header is checked against the file's `CsvLayout`,
every row is checked by the importer's own function on a `Row`, and every
problem is kept with its line number in the file (the header is line 1). On any
problem `CsvTable.check` raises the layout's `FileInvalid` carrying all of them,
before the importer writes anything; `write_all_or_nothing` then writes in one
transaction.

Files are UTF-8 with or without a byte-order mark, comma-separated; a file whose
header row has semicolons and no comma (Swedish Excel's "CSV") is read with
semicolons. A cell holding a control character (common.text) is a problem of
its row, whichever column it is in, and the row is not checked further. A
cell written by `common.spreadsheets` with a `'` before a leading `=`, `+`,
`-`, `@`, tab or carriage return reads back without it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.i18n import N_, Plural, swedish
from sesamlike.common.spreadsheets import plain
from sesamlike.common.text import CONTROL_CHARACTER, has_control_character
from sesamlike.extensions import db

T = TypeVar("T")
MAX_ROWS = 50_000

_INTEGER = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"(?P<whole>[0-9]{1,12})(?:\.(?P<frac>[0-9]+))?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
        return swedish(self.message, **self.params)

    def __repr__(self) -> str:
        return f"<FieldError {self.column}: {self}>"


@dataclass
class RowProblem:
    line: int
    article_no: str | None  # the value of the layout's key column, when it has one
    errors: list[FieldError]

    def lines(self) -> list[str]:
        """Swedish text, one line per problem: 'rad 4: category: Okänd ...'."""
        return [
            f"rad {self.line}: " + (f"{e.column}: " if e.column else "") + str(e)
            for e in self.errors
        ]


class FileInvalid(Invalid):
    """A file with bad rows; `problems` holds each row's line and errors."""

    code = "file_invalid"
    message = Plural(
        "Filen har fel på {count} rad; inget importerades.",
        "Filen har fel på {count} rader; inget importerades.",
        count="count",
    )

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        """Swedish text, one line per problem: 'rad 4: status: Okänd ...'."""
        return [text for problem in self.problems for text in problem.lines()]


@dataclass(frozen=True)
class CsvLayout:
    """The columns of one kind of file and how its problems are reported."""

    columns: tuple[str, ...]  # required, in any order
    optional: tuple[str, ...] = ()
    invalid: type[FileInvalid] = FileInvalid
    key: str | None = None  # the column that names a row in its problems
    # None: a file of only a header is valid (and imports nothing).
    no_rows: str | None = N_("Filen innehåller inga rader.")
    unknown_column: str = N_("Okänd kolumn: {column}.")
    max_rows: int | None = None


class Row:
    """One row's cells (stripped) and the problems found in them: the one
    field-error collector of every import.

    A column the header lacks reads as absent (`raw` None, `row[...]` empty); a
    problem in it still refuses the row but is not reported again: the header's
    problem names it.
    """

    def __init__(self, line: int, values: dict[str, str], key: str | None = None):
        self.line = line
        self.values = values
        self.key = key
        self.errors: list[FieldError] = []
        self.absent: frozenset[str] = frozenset()

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def raw(self, column: str) -> str | None:
        return self.values.get(column)

    def add(
        self, column: str | None, message: str | FieldError, /, **params: Any
    ) -> None:
        if not isinstance(message, FieldError):
            message = FieldError(message, **params)
        error = message
        error.column = column
        self.errors.append(error)

    def problem(self) -> RowProblem:
        key = self.values.get(self.key) if self.key else None
        errors = [e for e in self.errors if e.column not in self.absent]
        return RowProblem(self.line, key or None, errors)

    def text(
        self, column: str, max_length: int, *, required: bool = True
    ) -> str | None:
        value = self.raw(column)
        if not value:
            if value == "" and required:
                self.add(column, N_("Värde saknas."))
            return None
        if len(value) > max_length:
            self.add(column, N_("Högst {n} tecken."), n=max_length)
        return value

    def choice(self, column: str, allowed: Iterable[str]) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        allowed = [str(a) for a in allowed]
        if value in allowed:
            return value
        if value:
            self.add(
                column,
                N_("Okänt värde «{value}»; tillåtna: {allowed}."),
                value=value,
                allowed=", ".join(allowed),
            )
        else:
            self.add(
                column,
                N_("Värde saknas; tillåtna: {allowed}."),
                allowed=", ".join(allowed),
            )
        return None

    def yes_no(self, column: str) -> bool | None:
        value = self.raw(column)
        if value is None:
            return None
        if value not in ("yes", "no"):
            self.add(column, N_("Ska vara yes eller no, inte «{value}»."), value=value)
            return None
        return value == "yes"

    def integer(self, column: str, *, required: bool = True) -> int | None:
        """A whole number from 1 to 999,999,999."""
        value = self.raw(column)
        if not value:
            if value == "" and required:
                self.add(column, N_("Värde saknas."))
            return None
        if not _INTEGER.fullmatch(value) or int(value) == 0:
            self.add(
                column, N_("Ska vara ett positivt heltal, inte «{value}»."), value=value
            )
            return None
        return int(value)

    def decimal(self, column: str, *, places: int) -> Decimal | None:
        """A plain decimal with a point and at most `places` decimals."""
        value = self.raw(column)
        if not value:
            return None
        match = _DECIMAL.fullmatch(value)
        if not match:
            if "," in value:
                self.add(
                    column,
                    N_("Ogiltigt tal «{value}»: använd punkt som decimaltecken."),
                    value=value,
                )
            else:
                self.add(column, N_("Ogiltigt tal «{value}»."), value=value)
            return None
        if len(match["frac"] or "") > places:
            self.add(
                column,
                N_("Högst {n} decimaler, inte «{value}»."),
                n=places,
                value=value,
            )
            return None
        return Decimal(value)

    def date(self, column: str, *, required: bool) -> date | None:
        value = self.raw(column)
        if not value:
            if value == "" and required:
                self.add(column, N_("Datum saknas (ÅÅÅÅ-MM-DD)."))
            return None
        try:
            if not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.add(
                column, N_("Ogiltigt datum «{value}»; skriv ÅÅÅÅ-MM-DD."), value=value
            )
            return None


@dataclass
class CsvTable:
    """A file's well-formed rows and the problems found so far."""

    layout: CsvLayout
    rows: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    unchanged: int = 0  # rows checked without errors and with nothing new

    def ids(self, column: str) -> set[int]:
        """The whole numbers in a column, to look up before the rows are checked."""
        return {int(r[column]) for r in self.rows if _INTEGER.fullmatch(r[column])}

    def check(self, check: Callable[[Row], T]) -> list[T]:
        """`check(row)` for every row, in file order; raise with every problem.

        A row with errors becomes a problem, and any problem at all raises
        `layout.invalid`. Else the results, in file order; a row for which
        `check` returns None adds nothing new and is counted in `unchanged`.
        """
        results = []
        for row in self.rows:
            result = check(row)
            if row.errors:
                problem = row.problem()
                if problem.errors:
                    self.problems.append(problem)
            elif result is None:
                self.unchanged += 1
            else:
                results.append(result)
        if self.problems:
            raise self.layout.invalid(sorted(self.problems, key=lambda p: p.line))
        return results


def write_all_or_nothing(write: Callable[[], T]) -> T:
    """`write()` and commit; on any exception roll back, so nothing is written."""
    try:
        result = write()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def read_csv(text: str, layout: CsvLayout) -> CsvTable:
    """The rows of `text` (a file's content) with its header and shape problems."""
    text = text.removeprefix("\ufeff")
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = CsvTable(layout)
    header = Row(1, {})
    try:
        cells = next(reader, None)
    except csv.Error as exc:
        table.problems.append(_unreadable(1, exc))
        return table
    if not cells or not any(cell.strip() for cell in cells):
        header.add(None, N_("Filen är tom: den ska börja med en rubrikrad."))
        table.problems.append(header.problem())
        return table
    names = [cell.strip() for cell in cells]
    absent = _check_header(header, names, layout)
    if header.errors:
        table.problems.append(header.problem())
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.problems.append(_unreadable(reader.line_num, exc))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, or a spreadsheet's trailing ",,,,"
        row = Row(start, {}, layout.key)
        if len(cells) != len(names):
            row.add(
                None,
                N_("Raden har {found} fält men rubriken har {expected}."),
                found=len(cells),
                expected=len(names),
            )
            table.problems.append(row.problem())
            continue
        row.values = {
            name: plain(cell.strip())
            for name, cell in zip(names, cells, strict=True)
            if name in layout.columns or name in layout.optional
        }
        row.absent = absent
        for name, value in row.values.items():
            # Every cell, not only those an importer reads as text: none of
            # them may reach the database with one (a serial number did).
            if has_control_character(value):
                row.add(name, CONTROL_CHARACTER)
        if row.errors:
            # Kept from the rows, so no importer looks its cells up in the
            # database before checking them: PostgreSQL refuses a NUL there too.
            table.problems.append(row.problem())
            continue
        table.rows.append(row)
        if layout.max_rows is not None and len(table.rows) > layout.max_rows:
            row.add(None, N_("Filen har fler än {n} rader."), n=layout.max_rows)
            table.problems.append(row.problem())
            table.rows = []
            return table
    if not table.rows and not table.problems and layout.no_rows:
        header.add(None, layout.no_rows)
        table.problems.append(header.problem())
    return table


def _check_header(header: Row, names: list[str], layout: CsvLayout) -> frozenset:
    """Add the header's problems; return the required columns it lacks."""
    seen: set[str] = set()
    for name in names:
        if not name:
            header.add(None, N_("Rubrikraden har en kolumn utan namn."))
        elif name not in layout.columns and name not in layout.optional:
            header.add(None, layout.unknown_column, column=name)
        elif name in seen:
            header.add(None, N_("Kolumnen {column} finns två gånger."), column=name)
        seen.add(name)
    absent = frozenset(name for name in layout.columns if name not in seen)
    for name in layout.columns:
        if name in absent:
            header.add(None, N_("Kolumnen {column} saknas."), column=name)
    return absent | frozenset(n for n in layout.optional if n not in seen)


NOT_UTF8 = N_(
    "Filen är inte UTF-8: tecknet «{char}» går inte att läsa. Spara filen i "
    "Excel som «CSV UTF-8 (kommaavgränsad)» och läs in den igen."
)


def decode_file(raw: bytes) -> str:
    """A file's text: UTF-8 with or without a byte-order mark. Else raise
    `FileInvalid` on the line of the first byte that is not, with that
    character as Windows-1252 reads it (Swedish Excel's «CSV» is saved so)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        char = raw[exc.start : exc.start + 1].decode("cp1252", errors="replace")
        problem = RowProblem(line, None, [FieldError(NOT_UTF8, char=char)])
        raise FileInvalid([problem]) from None


def _unreadable(line: int, exc: csv.Error) -> RowProblem:
    error = FieldError("Raden går inte att läsa som CSV ({detail}).", detail=str(exc))
    return RowProblem(line, None, [error])


def import_from_command_line(file: Path, importer: Callable[[str], T]) -> T:
    """`importer(text of FILE)` for a command: on any problem print it, exit 1."""
    try:
        return importer(decode_file(file.read_bytes()))
    except FileInvalid as error:
        click.echo(f"{file}: {error}", err=True)
        for line in error.lines():
            click.echo(line, err=True)
        raise SystemExit(1) from None
    except DomainError as error:
        db.session.rollback()
        click.echo(f"{file}: {error}", err=True)
        raise SystemExit(1) from None
