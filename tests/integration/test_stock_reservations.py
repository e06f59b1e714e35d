"""Stock reservations by opaque reference: reserve, backorder, release, available."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import reservations
from sesamlike.stock.models import Reservation, StockMovement
from tests.factories import make_article, make_depot, make_stock_lot

TODAY = region_today()


def rows(reference):
    return db.session.execute(
        sa.select(Reservation.depot_id, Reservation.packs, Reservation.status)
        .where(Reservation.reference == reference)
        .order_by(Reservation.id)
    ).all()


def test_quarantined_and_expired_lots_are_not_available():
    article = make_article()
    depot = make_depot()
    make_stock_lot(article, depot, on_hand=4)
    make_stock_lot(article, depot, on_hand=5, quarantined=True)
    make_stock_lot(article, depot, on_hand=6, expiry=TODAY - timedelta(days=1))
    make_stock_lot(article, depot, on_hand=1, expiry=TODAY)
    assert reservations.available(article.id) == 5
    assert reservations.available(article.id, depot.id) == 5
    assert reservations.available(article.id, make_depot().id) == 0


def test_reserve_holds_packs_and_writes_the_ledger():
    article = make_article()
    depot = make_depot()
    make_stock_lot(article, depot, on_hand=4)
    assert reservations.reserve("ref:1", article.id, 3, user_id=None) == "reserved"
    db.session.commit()
    assert rows("ref:1") == [(depot.id, 3, "active")]
    assert reservations.available(article.id) == 1
    movement = db.session.scalar(sa.select(StockMovement))
    assert (movement.kind, movement.packs, movement.reference) == (
        "reservation",
        3,
        "ref:1",
    )
    assert movement.lot_id is None


def test_reserve_takes_from_several_depots_when_one_is_short():
    article = make_article()
    big, small = make_depot("BIG"), make_depot("SMALL")
    make_stock_lot(article, big, on_hand=3)
    make_stock_lot(article, small, on_hand=2)
    assert reservations.reserve("ref:2", article.id, 5) == "reserved"
    assert rows("ref:2") == [(big.id, 3, "active"), (small.id, 2, "active")]
    assert reservations.available(article.id) == 0


def test_reserve_many_holds_as_one_reserve_after_another_would():
    """Lines of one order at once: each takes what the earlier ones left."""
    article, other = make_article(), make_article()
    big, small = make_depot("BIG"), make_depot("SMALL")
    make_stock_lot(article, big, on_hand=3)
    make_stock_lot(article, small, on_hand=2)
    make_stock_lot(other, small, on_hand=1)
    reservations.reserve("ref:0", article.id, 1)  # held before: not free
    wanted = [
        ("ref:a", article.id, 3),  # 2 free in each depot: BIG first, then SMALL
        ("ref:b", article.id, 2),  # 1 left: a backorder, holds nothing
        ("ref:c", article.id, 1),  # the last pack
        ("ref:d", other.id, 1),
    ]
    assert reservations.reserve_many(wanted, user_id=None) == [
        "reserved",
        "backordered",
        "reserved",
        "reserved",
    ]
    assert rows("ref:a") == [(big.id, 2, "active"), (small.id, 1, "active")]
    assert rows("ref:b") == [(big.id, 2, "backordered")]
    assert rows("ref:c") == [(small.id, 1, "active")]
    assert rows("ref:d") == [(small.id, 1, "active")]
    assert reservations.available(article.id) == 0
    assert reservations.available(other.id) == 0
    movements = db.session.execute(
        sa.select(StockMovement.reference, StockMovement.depot_id, StockMovement.packs)
        .where(StockMovement.reference != "ref:0")
        .order_by(StockMovement.id)
    ).all()
    assert movements == [
        ("ref:a", big.id, 2),
        ("ref:a", small.id, 1),
        ("ref:c", small.id, 1),
        ("ref:d", small.id, 1),
    ]


def test_short_stock_records_a_backorder_without_holding_anything():
    article = make_article()
    depot = make_depot()
    make_stock_lot(article, depot, on_hand=2)
    assert reservations.reserve("ref:3", article.id, 3) == "backordered"
    assert rows("ref:3") == [(depot.id, 3, "backordered")]
    assert reservations.available(article.id) == 2
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == 0


def test_backorder_without_any_lot_goes_to_the_first_depot():
    first = make_depot()
    make_depot()
    article = make_article()
    assert reservations.reserve("ref:4", article.id, 1) == "backordered"
    assert rows("ref:4") == [(first.id, 1, "backordered")]


def test_backorder_without_any_depot_is_refused():
    with pytest.raises(reservations.NoDepot):
        reservations.reserve("ref:5", make_article().id, 1)


def test_release_frees_the_packs_once():
    article = make_article()
    make_stock_lot(article, on_hand=3)
    reservations.reserve("ref:6", article.id, 3)
    assert reservations.release("ref:6") == 3
    assert reservations.release("ref:6") == 0
    assert reservations.available(article.id) == 3
    ledger = db.session.execute(
        sa.select(StockMovement.kind, StockMovement.packs).order_by(StockMovement.id)
    ).all()
    assert ledger == [("reservation", 3), ("release", -3)]


def test_release_of_a_backorder_frees_nothing():
    article = make_article()
    make_depot()
    reservations.reserve("ref:7", article.id, 2)
    assert reservations.release("ref:7") == 0
    assert rows("ref:7")[0][2] == "released"
