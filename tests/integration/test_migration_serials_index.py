"""Revision 0044 adds the indexes the aids centre's returns search reads a
typed serial number from: the order lines with a serial (partial, with their
order on PostgreSQL) and devices by the serial in upper case. From 0043 with
lines and devices stored, and from an empty database alike; the downgrade
drops both and keeps the rows."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import Device
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_device,
    make_order_line,
    make_patient,
    make_pump,
)
from tests.migration_db import (
    app_on_own_database,
    index_names,
    index_text,
    made_before,
    revision,
)

PREVIOUS = "0043_patient_grouping_changes"
REVISION = "0044_serials_index"  # 0046 drops the devices' index again
LINES_INDEX = "ix_order_lines_serial_no"
DEVICES_INDEX = "ix_devices_serial_no_upper"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_serials")


def assert_made() -> None:
    lines = index_text(LINES_INDEX)
    assert "serial_no" in lines and "WHERE" in lines and "NOT NULL" in lines.upper()
    if is_postgres():
        assert "INCLUDE (order_id)" in lines
    devices = index_text(DEVICES_INDEX).lower()
    assert "upper(serial_no)" in devices.replace("(serial_no)::text", "serial_no")


def stored() -> tuple[list, list]:
    lines = sa.select(OrderLine.status, OrderLine.serial_no).order_by(OrderLine.id)
    devices = sa.select(Device.serial_no).order_by(Device.id)
    return (
        [tuple(row) for row in db.session.execute(lines)],
        list(db.session.scalars(devices)),
    )


def test_the_serial_indexes_come_with_0044_over_stored_rows_and_go(scratch):
    def rows():
        patient, article = make_patient(), make_article("INF-1")
        make_order_line(patient, article, "delivered", packs=3)
        make_order_line(patient, make_pump("PUMP-1"), "delivered", serial_no="Sn-1")
        make_device(patient, make_pump("PUMP-2"), "ab-77")

    made_before(PREVIOUS, rows)
    before = stored()
    assert LINES_INDEX not in index_names("order_lines")
    assert not index_text(DEVICES_INDEX)  # (an expression: not reflected on SQLite)
    upgrade(revision=REVISION)
    assert LINES_INDEX in index_names("order_lines")
    assert_made()
    assert stored() == before
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert LINES_INDEX not in index_names("order_lines")
    assert not index_text(DEVICES_INDEX)
    assert stored() == before


def test_an_empty_database_gets_the_serial_indexes(scratch):
    upgrade(revision=REVISION)
    assert_made()


def test_the_model_says_the_migrations_condition():
    """The model's partial index (what tests and `db.create_all` make) has
    the condition the migration made, word for word."""
    from sesamlike.orders.models import SERIAL_ROWS

    assert revision("0044_serials_index.py").SERIAL_ROWS == SERIAL_ROWS
