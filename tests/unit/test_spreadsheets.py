"""The one CSV/XLSX writer: Swedish spreadsheet conventions and no live formulas."""

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from sesamlike.common.spreadsheets import (
    MACHINE,
    SWEDISH,
    csv_bytes,
    csv_text,
    neutralise,
    plain,
    xlsx_bytes,
)

HEADERS = ["Namn", "Belopp (kr)", "Antal", "Datum"]
ROWS = [
    ["Anna Pumpström", Decimal("21655.82"), 3, date(2025, 7, 1)],
    ['=HYPERLINK("http://evil.example","klicka")', Decimal("-1250.5"), -2, None],
]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_a_quote(start):
    assert neutralise(f"{start}1+2") == f"'{start}1+2"


@pytest.mark.parametrize("text", ["Anna", "1-2", "", "a=b", " =1", "'quoted"])
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text


@given(st.text())
def test_plain_undoes_neutralise_exactly(text):
    assert plain(neutralise(text)) == text


def test_swedish_csv_has_a_bom_semicolons_decimal_commas_and_crlf():
    body = csv_bytes(HEADERS, ROWS[:1])
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig") == (
        "Namn;Belopp (kr);Antal;Datum\r\nAnna Pumpström;21655,82;3;2025-07-01\r\n"
    )


def test_amounts_and_numbers_we_write_stay_numbers_but_typed_text_does_not():
    lines = csv_text(HEADERS, ROWS, SWEDISH).splitlines()
    assert lines[2] == '"\'=HYPERLINK(""http://evil.example"",""klicka"")";-1250,50;-2;'


def test_machine_csv_is_plain_utf8_with_commas_and_decimal_points():
    text = csv_text(HEADERS, ROWS, MACHINE)
    assert not text.startswith("\ufeff")
    assert text.splitlines()[1] == "Anna Pumpström,21655.82,3,2025-07-01"
    assert text.splitlines()[2].startswith("\"'=HYPERLINK(")
    assert text.splitlines()[2].endswith(",-1250.50,-2,")


def test_xlsx_cells_are_typed_and_formulas_stay_text():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(HEADERS, ROWS, "Test"))).active
    header, first, second = sheet.iter_rows(min_row=1, max_row=3)
    assert [c.value for c in header] == HEADERS and header[0].font.b
    assert first[1].value == pytest.approx(21655.82)
    assert first[1].number_format == "#,##0.00" and first[1].data_type == "n"
    assert first[2].value == 3 and first[2].data_type == "n"
    assert first[3].value.date() == date(2025, 7, 1) and first[3].is_date
    assert second[0].data_type == "s"
    assert second[0].value == '\'=HYPERLINK("http://evil.example","klicka")'
    assert second[1].value == pytest.approx(-1250.5) and second[1].data_type == "n"
    assert second[3].value is None


def test_xlsx_drops_control_characters_that_would_break_the_file():
    sheet = load_workbook(
        io.BytesIO(xlsx_bytes(["Namn"], [["Anna\x01 Pump"]], "Test"))
    ).active
    assert sheet["A2"].value == "Anna Pump"
