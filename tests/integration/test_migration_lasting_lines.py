"""Revision 0043 marks the order lines that may be in use after their delivery
year (`order_lines.lasting`) and indexes them. From 0042 with lines stored, the
lines of durable devices and CGM transmitters are marked without moving any
patient's data version (no page shows the mark); from an empty database the
index and triggers are there alike; the downgrade drops them and keeps the
lines, which can still be written."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.common.models import PatientDataChange
from sesamlike.extensions import db
from sesamlike.orders.models import LASTING_INDEX, LASTING_ROWS, OrderLine
from tests import factories as f
from tests.migration_db import app_on_own_database, index_names, index_text, revision

PREVIOUS = "0042_stocked_lots_index"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_lasting_lines")


def assert_partial() -> None:
    """By patient and delivery day, with only the lasting lines in it."""
    text = index_text(LASTING_INDEX)
    assert "(patient_id, delivered_on)" in text.replace('"', "")
    assert "WHERE" in text and "lasting" in text.split("WHERE")[1]


def marked() -> dict[int, bool | None]:
    rows = db.session.execute(sa.text("SELECT id, lasting FROM order_lines"))
    return {row.id: None if row.lasting is None else bool(row.lasting) for row in rows}


def lines() -> list[tuple]:
    rows = sa.select(OrderLine.id, OrderLine.article_id, OrderLine.delivered_on)
    return [tuple(row) for row in db.session.execute(rows.order_by(OrderLine.id))]


def changes() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PatientDataChange))


def test_0043_marks_the_stored_device_lines_and_goes_again(scratch):
    upgrade(revision=PREVIOUS)
    patient = f.make_patient(f.make_clinic())
    pump = f.make_article(category="pump", amortisation_years=4, pack_size=1)
    transmitter = f.make_article(category="cgm_transmitter", pack_size=1)
    sets = f.make_article(category="infusion_set")
    stored = {
        name: f.make_delivered_line(patient, article, date(2023, 5, 1)).id
        for name, article in (("pump", pump), ("transmitter", transmitter),
                              ("sets", sets))
    }  # fmt: skip
    before, versions, sets_id = lines(), changes(), sets.id
    assert LASTING_INDEX not in index_names("order_lines")
    db.session.rollback()  # nothing read holds a lock the upgrade waits for

    upgrade()
    assert LASTING_INDEX in index_names("order_lines")
    assert_partial()
    found = marked()
    assert found[stored["pump"]] is True and found[stored["transmitter"]] is True
    assert not found[stored["sets"]]
    assert lines() == before
    assert changes() == versions  # the patient's pages are as they were
    later = f.make_delivered_line(patient, pump, date(2024, 5, 1)).id
    assert marked()[later] is True

    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert LASTING_INDEX not in index_names("order_lines")
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns(
        "order_lines")}  # fmt: skip
    assert "lasting" not in columns
    assert len(lines()) == 4
    # No trigger is left naming the column: lines and articles are written.
    db.session.execute(sa.text(
        "INSERT INTO order_lines (order_id, patient_id, article_id, packs, channel, "
        "status, pack_price_sek, vat_rate, delivered_on, updated_at, "
        "packs_returned, packs_restocked) SELECT order_id, patient_id, article_id, "
        "packs, channel, status, pack_price_sek, vat_rate, delivered_on, "
        "updated_at, 0, 0 FROM order_lines WHERE id = :id"), {"id": later})  # fmt: skip
    made_durable = "UPDATE articles SET amortisation_years = 5 WHERE id = :id"
    db.session.execute(sa.text(made_durable), {"id": sets_id})
    db.session.commit()
    assert len(lines()) == 5


def test_an_empty_database_gets_the_lasting_lines_index(scratch):
    upgrade()
    assert LASTING_INDEX in index_names("order_lines")
    assert_partial()


def test_the_model_and_the_migration_say_the_same_condition():
    assert revision("0043_lasting_lines.py").LASTING_ROWS == LASTING_ROWS
