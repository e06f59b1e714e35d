"""The one all-or-nothing CSV reader of common/csvfiles.py, on a small layout."""

import pytest

from sesamlike.common.csvfiles import CsvLayout, FileInvalid, Row, read_csv
from sesamlike.common.spreadsheets import MACHINE, SWEDISH, csv_text

LAYOUT = CsvLayout(("name", "packs"), optional=("note",), key="name")


def check(row: Row):
    return (row.text("name", 20), row.integer("packs"), row.raw("note"))


def read(text: str, layout: CsvLayout = LAYOUT):
    return read_csv(text, layout).check(check)


def problems(text: str, layout: CsvLayout = LAYOUT) -> dict[int, list[str]]:
    with pytest.raises(FileInvalid) as caught:
        read(text, layout)
    return {p.line: p.lines() for p in caught.value.problems}


def test_rows_come_back_checked_with_optional_columns_absent():
    assert read("packs,name\n2,Anna\n3,Bo\n") == [("Anna", 2, None), ("Bo", 3, None)]
    assert read("name,packs,note\nAnna,2,x\n") == [("Anna", 2, "x")]


def test_a_semicolon_file_from_swedish_excel_is_read_like_a_comma_file():
    text = '\ufeffname;packs\r\nAnna;2\r\n"Bo; jr";3\r\n'
    assert read(text) == [("Anna", 2, None), ("Bo; jr", 3, None)]


def test_every_bad_row_is_reported_with_its_line_and_key():
    with pytest.raises(FileInvalid) as caught:
        read("name,packs\nAnna,0\nBo,2\n,x\nCilla,1,9\n")
    assert [(p.line, p.article_no) for p in caught.value.problems] == [
        (2, "Anna"), (4, None), (5, None)
    ]  # fmt: skip
    assert caught.value.lines() == [
        "rad 2: packs: Ska vara ett positivt heltal, inte «0».",
        "rad 4: name: Värde saknas.",
        "rad 4: packs: Ska vara ett positivt heltal, inte «x».",
        "rad 5: Raden har 3 fält men rubriken har 2.",
    ]


def test_a_control_character_in_a_text_is_a_problem_of_its_row():
    """A NUL in a name was imported on SQLite; PostgreSQL refuses it: 500."""
    assert problems("name,packs\nAn\x00na,2\nBo\tBerg,1\n") == {
        2: ["rad 2: name: Får inte innehålla styrtecken (osynliga tecken som NUL)."]
    }


def test_a_control_character_in_any_cell_is_a_problem_of_its_row():
    """Not only in the cells an importer reads as text: a serial number with a
    NUL was imported on SQLite (PostgreSQL refuses it: a traceback). Such a
    row is not checked further, so no importer looks it up in the database."""
    assert problems("name,packs,note\nAnna,2,PX\x00-1\nBo,1\x07,\n") == {
        2: ["rad 2: note: Får inte innehålla styrtecken (osynliga tecken som NUL)."],
        3: ["rad 3: packs: Får inte innehålla styrtecken (osynliga tecken som NUL)."],
    }


def test_header_problems_do_not_hide_row_problems_nor_repeat_them():
    assert problems("name,colour\nAnna,red\n,blue\n") == {
        1: ["rad 1: Okänd kolumn: colour.", "rad 1: Kolumnen packs saknas."],
        3: ["rad 3: name: Värde saknas."],
    }


def test_the_unknown_column_message_is_the_layouts():
    layout = CsvLayout(
        ("name",), unknown_column="Okänd eller upprepad kolumn: {column}."
    )
    assert problems("name,x\nA,1\n", layout)[1] == [
        "rad 1: Okänd eller upprepad kolumn: x."
    ]


def test_an_empty_file_and_a_file_without_rows_are_refused_unless_allowed():
    assert problems("") == {1: ["rad 1: Filen är tom: den ska börja med en rubrikrad."]}
    assert problems("name,packs\n\n") == {1: ["rad 1: Filen innehåller inga rader."]}
    assert read("name,packs\n", CsvLayout(("name", "packs"), no_rows=None)) == []


def test_broken_quoting_is_reported_on_its_line():
    assert "går inte att läsa som CSV" in problems('name,packs\nA,1\n"B,2\n')[3][0]
    assert "går inte att läsa som CSV" in problems('name,packs\n"A"x,1\n')[2][0]


def test_a_file_over_the_row_limit_is_refused():
    layout = CsvLayout(("name", "packs"), max_rows=2)
    text = "name,packs\n" + "A,1\n" * 3
    assert problems(text, layout) == {4: ["rad 4: Filen har fler än 2 rader."]}


@pytest.mark.parametrize("dialect", [SWEDISH, MACHINE])
def test_what_the_writer_neutralised_reads_back_as_written(dialect):
    names = ["=1+2", "-Anna", "'+46", "@home"]
    text = csv_text(["name", "packs"], [[n, 1] for n in names], dialect)
    assert [name for name, _packs, _note in read(text)] == names
