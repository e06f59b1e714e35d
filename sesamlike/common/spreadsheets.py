"""The one writer of the CSV and XLSX files the app hands out.

Cells are typed by their Python value: text (`str`) is what people typed and is
neutralised (interfaces.md: a cell never begins with `=`, `+`, `-`, `@`, a tab
or a carriage return; such text gets a `'` before it); `Decimal` is an amount in
kronor, written with two decimals; `int`, `date` and `datetime` are ours and
written as they are. So a negative amount stays a number and a patient named
`=HYPERLINK(...)` stays text.

Two CSV dialects: `SWEDISH` for people (UTF-8 with a byte-order mark,
semicolons, decimal comma, CRLF: Swedish Excel opens it in columns) and
`MACHINE` for the contract's files (UTF-8, commas, decimal point). XLSX cells
are typed: numbers are numbers with a number format, dates are dates.
`download` hands either out as an attachment with its one Content-Type.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Response, current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from sesamlike.common.time import REGION_TIMEZONE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every CSV the app writes is UTF-8. Sent as the whole Content-Type: Werkzeug
# adds "; charset=utf-8" to a text/* *mimetype* itself, so a mimetype that
# already said it went out as "text/csv; charset=utf-8; charset=utf-8".
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal_mark: str
    byte_order_mark: bool
    line_end: str


SWEDISH = Dialect(";", ",", True, "\r\n")
MACHINE = Dialect(",", ".", False, "\n")
# `?format=` of the exports meant for people: Swedish unless a machine asks.
CSV_FORMATS = {"csv": SWEDISH, "csv-comma": MACHINE}


def neutralise(text: str) -> str:
    """Text that no spreadsheet reads as a formula; `plain` undoes it.

    Text that already starts with quotes before such a character gets one more,
    so reading it back gives exactly what was written.
    """
    if text.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def plain(cell: str) -> str:
    """A cell as it was before `neutralise`."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def csv_text(
    headers: Sequence[str], rows: Iterable[Sequence], dialect: Dialect = MACHINE
) -> str:
    """The file as text (with its byte-order mark when the dialect has one)."""
    out = io.StringIO()
    if dialect.byte_order_mark:
        out.write("\ufeff")
    writer = csv.writer(
        out, delimiter=dialect.delimiter, lineterminator=dialect.line_end
    )
    writer.writerow([neutralise(str(h)) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(value, dialect) for value in row])
    return out.getvalue()


def csv_bytes(
    headers: Sequence[str], rows: Iterable[Sequence], dialect: Dialect = SWEDISH
) -> bytes:
    return csv_text(headers, rows, dialect).encode("utf-8")


def _csv_cell(value, dialect: Dialect) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", dialect.decimal_mark)
    if isinstance(value, float):
        return repr(value).replace(".", dialect.decimal_mark)
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no CSV cell for {type(value).__name__}")


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """One sheet: a bold header row, then typed cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Blad1")
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(str(text)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_text(text: str) -> str:
    # Control characters make an invalid file; they carry nothing to read.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    if value is None or isinstance(value, str):
        return WriteOnlyCell(sheet, value=_xlsx_text(value) if value else None)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = AMOUNT_FORMAT
        return cell
    if isinstance(value, datetime):
        local = value.astimezone(REGION_TIMEZONE).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=local)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, int | float):
        return WriteOnlyCell(sheet, value=value)
    raise TypeError(f"no XLSX cell for {type(value).__name__}")


def download(
    body: bytes | str, filename: str, content_type: str = CSV_CONTENT_TYPE
) -> Response:
    """A file to save: `content_type` goes out exactly as given, once."""
    response = current_app.response_class(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
