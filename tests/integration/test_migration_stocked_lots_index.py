"""Revision 0042 adds the partial index of the lots with packs, which every
order locks and sums its free stock from. From 0041 with lots already stored,
and from an empty database alike; the downgrade drops the index and keeps the
lots. The model, the queries and the migration say the same condition."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects import postgresql, sqlite

from sesamlike.extensions import db
from sesamlike.stock import reservations
from sesamlike.stock.models import STOCKED_LOT_ROWS, Depot, StockLot
from tests.factories import make_article
from tests.migration_db import app_on_own_database, index_names, index_text, revision

PREVIOUS = "0041_active_reservations_index"
INDEX = "ix_stock_lots_stocked_article_id"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_stocked_lots")


def assert_partial() -> None:
    """By article and lot, with only the lots holding packs in it."""
    text = index_text(INDEX)
    assert "(article_id, id)" in text.replace('"', "")
    assert "WHERE" in text and "on_hand > 0" in text


def stored() -> list[tuple[str, int]]:
    rows = sa.select(StockLot.lot, StockLot.on_hand).order_by(StockLot.id)
    return [tuple(row) for row in db.session.execute(rows)]


def test_the_stocked_lots_index_comes_with_0042_and_goes(scratch):
    upgrade(revision=PREVIOUS)
    depot = Depot(code="HMC", name="Hjälpmedelscentralen")
    article = make_article("INF-1")
    db.session.add(depot)
    db.session.flush()
    for lot, packs in (("L1", 0), ("L2", 7)):
        db.session.add(StockLot(depot_id=depot.id, article_id=article.id, lot=lot,
                                on_hand=packs, quarantined=False))  # fmt: skip
    db.session.commit()
    assert INDEX not in index_names("stock_lots")
    upgrade()
    assert INDEX in index_names("stock_lots")
    assert_partial()
    assert stored() == [("L1", 0), ("L2", 7)]
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert INDEX not in index_names("stock_lots")
    assert stored() == [("L1", 0), ("L2", 7)]


def test_an_empty_database_gets_the_stocked_lots_index(scratch):
    upgrade()
    assert INDEX in index_names("stock_lots")
    assert_partial()


def test_the_model_the_queries_and_the_migration_say_the_same_condition():
    assert revision("0042_stocked_lots_index.py").STOCKED_LOT_ROWS == STOCKED_LOT_ROWS
    # Written out in the statements (not bound), as the index says it: else
    # neither SQLite nor a prepared statement's generic plan can use it.
    statements = {
        "postgresql": (reservations._LOCK_LOTS, reservations._FREE),
        "sqlite": (reservations._TOUCH_LOTS, reservations._FREE),
    }
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        for statement in statements[dialect.name]:
            sql = str(statement.compile(dialect=dialect))
            assert f"stock_lots.{STOCKED_LOT_ROWS}" in sql
