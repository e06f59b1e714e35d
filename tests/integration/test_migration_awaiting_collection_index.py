"""Revision 0045 adds the partial index the prescriber's "waiting at the
clinic" list finds its orders by: orders to the clinic with no collection
day. From 0044 with orders stored, and from an empty database alike; the
downgrade drops it and keeps the rows."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.orders import worklists
from sesamlike.orders.models import Order
from tests.factories import (
    make_article,
    make_clinic,
    make_order_line,
    make_patient,
    make_user,
)
from tests.migration_db import (
    app_on_own_database,
    index_names,
    index_text,
    made_before,
    revision,
    sqlite_plans_by,
)

PREVIOUS = "0044_serials_index"
INDEX = "ix_orders_awaiting_collection"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_awaiting")


def assert_made() -> None:
    made = " ".join(index_text(INDEX).lower().replace("::text", "").split())
    assert "(patient_id)" in made
    assert "delivery_mode" in made and "'clinic'" in made
    assert "collected_on is null" in made


def stored() -> list[tuple]:
    rows = sa.select(Order.id, Order.delivery_mode, Order.collected_on)
    return [tuple(row) for row in db.session.execute(rows.order_by(Order.id))]


def test_the_awaiting_collection_index_comes_with_0045_over_stored_orders_and_goes(
    scratch,
):
    def rows():
        patient, article = make_patient(), make_article("INF-1")
        make_order_line(patient, article, "delivered", delivery_mode="clinic")
        make_order_line(patient, article, "delivered", delivery_mode="clinic",
                        collected_on=date(2026, 3, 2))  # fmt: skip
        make_order_line(patient, article, "shipped")

    made_before(PREVIOUS, rows)
    before = stored()
    assert INDEX not in index_names("orders")
    upgrade()
    assert INDEX in index_names("orders")
    assert_made()
    assert stored() == before
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert INDEX not in index_names("orders")
    assert stored() == before


def test_an_empty_database_gets_the_awaiting_collection_index(scratch):
    upgrade()
    assert_made()


def test_the_model_says_the_migrations_condition():
    """The model's partial index (what tests and `db.create_all` make) has
    the condition the migration made, word for word."""
    from sesamlike.orders.models import AWAITING_COLLECTION_ROWS

    migration = revision("0045_awaiting_collection_index.py")
    assert migration.AWAITING_COLLECTION_ROWS == AWAITING_COLLECTION_ROWS


def test_the_at_clinic_list_says_the_index_condition_as_written():
    """SQLite uses a partial index only where the query says its condition
    (a bound 'clinic' would not do): told to read the orders by it
    (INDEXED BY), it plans the list's own statement, else it refuses."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rule; PostgreSQL plans with the values")
    clinic = make_clinic("NORR")
    prescriber = make_user("prescriber", clinics=[clinic])
    scope = worklists._scope(prescriber, None)
    listed = worklists._OrderList(scope, None, date.today(), "at_clinic")
    assert sqlite_plans_by(
        INDEX,
        "JOIN orders",
        lambda: listed.rows(None),
        sent="FROM order_lines JOIN orders",
    )
