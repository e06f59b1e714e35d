"""Revision 0039 adds the partial index the depot's put-back lists read
(packs cancelled after picking, however old). From 0038 with a put-back row
already in the ledger, and from an empty database alike; the downgrade drops
the index and keeps the rows."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.stock.models import (
    CANCELLED_AFTER_PICK,
    Depot,
    MovementKind,
    StockLot,
    StockMovement,
)
from tests.factories import make_article
from tests.migration_db import app_on_own_database, index_names, index_text

PREVIOUS = "0038_kept_forms"
INDEX = "ix_stock_movements_put_back"
SHELVED = "ix_stock_movements_shelved"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_put_back")


def assert_partial() -> None:
    """Only the put-back rows, and only the shelved rows, are in them (a
    whole-ledger index would do for the name, not for the size)."""
    text = index_text(INDEX)
    assert "reference" in text and "lot_id" in text
    assert "WHERE" in text and "'return'" in text and "'cancelled'" in text
    shelved = index_text(SHELVED)
    assert "reference" in shelved and "lot_id" in shelved
    assert "WHERE" in shelved and "'shelved'" in shelved


def put_back_row() -> None:
    """The ledger row of packs put back after a cancellation (the models are
    the tables of 0038 but for the index)."""
    depot = Depot(code="HMC", name="Hjälpmedelscentralen")
    lot = StockLot(depot=depot, article=make_article("INF-1"), lot="L1", on_hand=2)
    db.session.add(lot)
    db.session.flush()
    db.session.add(
        StockMovement(
            kind=MovementKind.RETURN, depot_id=depot.id, article_id=lot.article_id,
            lot_id=lot.id, packs=2, reason_code=CANCELLED_AFTER_PICK,
            reference="order-line:7",
        )
    )  # fmt: skip
    db.session.commit()


def put_back_rows() -> int:
    return db.session.scalar(sa.text(
        "SELECT count(*) FROM stock_movements WHERE kind = 'return'"
        " AND reason_code = 'cancelled'"
    ))  # fmt: skip


def test_the_put_back_index_comes_with_0039_over_a_ledger_and_goes_without_it(
    scratch,
):
    upgrade(revision=PREVIOUS)
    put_back_row()
    assert INDEX not in index_names("stock_movements")
    upgrade()
    assert INDEX in index_names("stock_movements")
    assert_partial()
    assert put_back_rows() == 1
    db.session.remove()
    downgrade(revision=PREVIOUS)
    left = index_names("stock_movements")
    assert INDEX not in left and SHELVED not in left
    assert put_back_rows() == 1


def test_an_empty_database_gets_the_put_back_index(scratch):
    upgrade()
    assert INDEX in index_names("stock_movements")
    assert_partial()
