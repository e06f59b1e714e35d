"""Revision 0040 adds the partial index of a patient's lines not delivered
yet, which the reorder form and "my aids" read. From 0039 with lines already
stored, and from an empty database alike; the downgrade drops the index and
keeps the lines."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.orders.models import UNDELIVERED_LINE_STATUSES, OrderLine
from tests.factories import make_article, make_order_line, make_patient
from tests.migration_db import (
    app_on_own_database,
    index_names,
    index_text,
    made_before,
    revision,
)

PREVIOUS = "0039_put_back_index"
INDEX = "ix_order_lines_undelivered_patient_id"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_undelivered")


def assert_partial() -> None:
    """Keyed by patient, and only the undelivered statuses are in it: every
    one of them, and neither delivered, cancelled nor returned lines."""
    text = index_text(INDEX)
    assert "patient_id" in text and "WHERE" in text
    for status in UNDELIVERED_LINE_STATUSES:
        assert f"'{status}'" in text
    for status in ("delivered", "cancelled", "returned"):
        assert f"'{status}'" not in text


def stored_lines() -> list[tuple[str, int]]:
    lines = sa.select(OrderLine.status, OrderLine.packs).order_by(OrderLine.id)
    return [tuple(row) for row in db.session.execute(lines)]


def test_the_undelivered_index_comes_with_0040_over_stored_lines_and_goes(scratch):
    def rows():
        patient, article = make_patient(), make_article("INF-1")
        make_order_line(patient, article, "reserved", packs=2)
        make_order_line(patient, article, "delivered", packs=3)

    made_before(PREVIOUS, rows)
    assert INDEX not in index_names("order_lines")
    upgrade()
    assert INDEX in index_names("order_lines")
    assert_partial()
    assert stored_lines() == [("reserved", 2), ("delivered", 3)]
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert INDEX not in index_names("order_lines")
    assert stored_lines() == [("reserved", 2), ("delivered", 3)]


def test_an_empty_database_gets_the_undelivered_index(scratch):
    upgrade()
    assert INDEX in index_names("order_lines")
    assert_partial()


def test_the_model_says_the_migrations_condition():
    """The model's index (what tests and `db.create_all` make) and the queries
    that use it say what the migration made, word for word: SQLite uses a
    partial index only for a query that says its condition."""
    from sesamlike.orders.models import UNDELIVERED_ROWS

    made = revision("0040_undelivered_lines_index.py").UNDELIVERED_ROWS
    assert made == UNDELIVERED_ROWS
