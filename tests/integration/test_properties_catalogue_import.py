"""Properties of the catalogue import (catalog.services + csvio), on the database."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesamlike.catalog import csvio
from sesamlike.catalog.models import Article
from sesamlike.catalog.services import (
    CatalogueInvalid,
    export_catalogue_text,
    import_catalogue_text,
)
from sesamlike.extensions import db
from tests.factories import catalogue_csv, catalogue_row

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONSUMABLES = ["infusion_set", "reservoir"]
PUMP_SYSTEMS = ["MiniMed 780G", "Omnipod 5", "Tandem t:slim X2"]
names = (
    st.text(
        alphabet=st.characters(
            categories=["L", "N", "Zs"], include_characters=",\"'-åäö"
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def valid_rows(draw, article_no: str):
    pump = draw(st.booleans())
    row = catalogue_row(
        article_no,
        name=draw(names),
        category="pump" if pump else draw(st.sampled_from(CONSUMABLES)),
        systems=draw(st.sampled_from(PUMP_SYSTEMS)),
        supplier=draw(names),
        pack_size=1 if pump else draw(st.integers(1, 500)),
        pack_price_sek=draw(st.decimals("0.01", "99999.99", places=2)),
        vat_rate=draw(st.sampled_from(["0", "0.06", "0.12", "0.25"])),
        procured=draw(st.sampled_from(["yes", "no"])),
        benefit=draw(st.sampled_from(["yes", "no"])),
        channel="central" if pump else draw(st.sampled_from(["central", "supplier"])),
        first_choice_rank=draw(st.sampled_from(["", "1", "2", "3"])),
        valid_from=draw(st.dates(min_value=date(2015, 1, 1),
                                 max_value=date(2030, 1, 1))),
    )  # fmt: skip
    if not pump:
        row["units_per_day"] = draw(st.sampled_from(["0.3333", "1", "0.5", "2"]))
    return row


@st.composite
def catalogues(draw, min_size=1):
    numbers = draw(
        st.lists(st.from_regex(r"\A[A-Z]{1,4}-?[0-9]{1,6}\Z"), min_size=min_size,
                 max_size=8, unique=True)
    )  # fmt: skip
    return [draw(valid_rows(number)) for number in numbers]


# One defect each, and the column that names it.
DEFECTS = [
    ("category", "teapot"),
    ("pack_size", "-3"),
    ("pack_price_sek", "abc"),
    ("vat_rate", "1,5"),
    ("valid_from", "2020-13-01"),
    ("gtin", "1234567890123"),  # wrong check digit
    ("channel", "post"),
    ("procured", "kanske"),
]


def empty_tables():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def rows_of(text: str) -> list[tuple]:
    parsed = csvio.parse_catalogue_csv(text)
    assert parsed.ok, [p.lines() for p in parsed.problems]
    return sorted(
        tuple(v for k, v in vars(row).items() if k != "line") for row in parsed.rows
    )


@pytest.mark.slow
@SETTINGS
@given(rows=catalogues())
def test_generated_valid_rows_import_and_export_round_trip(rows):
    empty_tables()
    text = catalogue_csv(*rows)
    result = import_catalogue_text(text)
    assert result.created == len(rows)
    exported = export_catalogue_text()
    assert rows_of(exported) == rows_of(text)
    again = import_catalogue_text(exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
    assert export_catalogue_text() == exported


@pytest.mark.slow
@SETTINGS
@given(
    existing=catalogues(),
    rows=catalogues(),
    data=st.data(),
    defect=st.sampled_from(DEFECTS),
)
def test_an_invalid_row_anywhere_refuses_the_file_with_its_line_and_writes_nothing(
    existing, rows, data, defect
):
    empty_tables()
    import_catalogue_text(catalogue_csv(*existing))
    before = export_catalogue_text()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Article))
    position = data.draw(st.integers(0, len(rows) - 1), label="bad row")
    column, value = defect
    rows[position] = {**rows[position], column: value}
    with pytest.raises(CatalogueInvalid) as refused:
        import_catalogue_text(catalogue_csv(*rows))
    db.session.rollback()
    problems = refused.value.problems
    assert [p.line for p in problems] == [position + 2]  # header is line 1
    assert column in {e.column for e in problems[0].errors}
    assert export_catalogue_text() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == count
