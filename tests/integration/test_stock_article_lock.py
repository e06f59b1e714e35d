"""What an order locks while it reserves: its articles, and their lots with packs.

Lots are never deleted, so an article's history holds many lots used up long
ago. An order locks the article (PostgreSQL's advisory lock) and the lots that
hold packs, not every lot the article ever had; packs put into an empty lot
meanwhile still reach the order, as before. Real threads and connections:
PostgreSQL's locks (SQLite has one writer at a time).
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import blocked_lots, returns, shipping
from sesamlike.orders import services as ordering
from sesamlike.stock import ledger, receipts, reservations
from sesamlike.stock.models import StockLot
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
    place_order_for,
)

pytestmark = [
    pytest.mark.skipif(not is_postgres(), reason="row and advisory locks: PostgreSQL"),
    pytest.mark.postgres,
]


@pytest.fixture
def lots():
    """An article with one lot of packs and one used up, and a patient who
    may order it; all committed, for other connections to see."""
    world = make_depot_world()
    article = make_article("SET-9")
    shipping.receive_stock(world.clerk, "HMC", "SET-9", 3, lot="OLD")
    shipping.receive_stock(world.clerk, "HMC", "SET-9", 10, lot="NEW")
    old = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "OLD"))
    ledger.book("adjustment", old, -3)  # used up long ago
    patient = make_patient(world.clinic)
    rx = make_prescription(patient, article, lock_days=0)
    db.session.commit()
    ids = {
        "article": article.id,
        "prescriber": world.prescriber.id,
        "clerk": world.clerk.id,
        "patient": patient.id,
        "rx": rx.id,
        "lot": {lot.lot: lot.id for lot in db.session.scalars(sa.select(StockLot))},
    }
    db.session.expunge_all()
    return ids


def _locked(connection, lot_id: int) -> bool:
    """Whether another transaction holds the lot's row lock."""
    try:
        with connection.begin_nested():
            connection.execute(
                sa.select(StockLot.id).where(StockLot.id == lot_id).with_for_update()
            )
    except sa.exc.OperationalError:
        return True
    return False


def test_an_order_locks_its_article_and_its_lots_with_packs_not_its_empty_lots(lots):
    reservations.plan_many([(lots["article"], 1)])  # held until the rollback
    other = db.engine.connect()
    try:
        with other.begin():
            other.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            assert _locked(other, lots["lot"]["NEW"])
            assert not _locked(other, lots["lot"]["OLD"])
            article_free = other.scalar(
                sa.select(sa.func.pg_try_advisory_xact_lock(
                    reservations.STOCK_ARTICLE_LOCK, lots["article"]))
            )  # fmt: skip
            assert article_free is False
    finally:
        other.close()
        db.session.rollback()


def _ordering(lots, outcome: list[str]) -> threading.Thread:
    """A thread that places an order of one pack and says its line's status."""
    app = current_app._get_current_object()

    def order() -> None:
        with app.app_context():
            try:
                user = db.session.get(User, lots["prescriber"])
                placed = ordering.place_order(
                    user, lots["patient"], [(lots["rx"], 1)], "home"
                )
                outcome.append(placed.order.lines[0].status)
            finally:
                db.session.remove()

    return threading.Thread(target=order)


def _waiting_for_a_lock(timeout: float = 5.0) -> bool:
    """Whether another backend waits for a lock, within `timeout` seconds."""
    connection = db.engine.connect()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = connection.scalar(sa.text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted "
                "AND pid <> pg_backend_pid()"))  # fmt: skip
            connection.rollback()
            if waiting:
                return True
            time.sleep(0.02)
        return False
    finally:
        connection.close()


def test_an_order_while_packs_go_into_an_empty_lot_waits_and_reserves_them(lots):
    """The article's only lot is used up; a receipt into it is under way
    (booked, its backorders filled, not committed) when an order comes: the
    order waits for it and reserves its packs, rather than reading no stock
    and leaving a backorder the receipt has already passed by."""
    with db.session.begin_nested():
        new = db.session.get(StockLot, lots["lot"]["NEW"])
        ledger.book("adjustment", new, -10)
    db.session.commit()
    outcome: list[str] = []
    receipts.receive("HMC", "SET-9", 4, lot="OLD")  # not committed yet
    placing = _ordering(lots, outcome)
    placing.start()
    try:
        assert _waiting_for_a_lock(), "the order did not wait for the receipt"
    finally:
        db.session.commit()
        placing.join(timeout=30)
    assert outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (4, 1)


def _an_order_comes_before_backorders_fill(module, lots, monkeypatch):
    """Patch `module.fill_backorders` (a use case's): an order of the article
    comes in first and waits for a lock; then the backorders fill. Returns the
    order's thread (to join) and the list its outcome goes to."""
    outcome: list[str] = []
    placing = _ordering(lots, outcome)
    fill = module.fill_backorders

    def order_comes_in_then_fill(article_id, user):
        placing.start()
        assert _waiting_for_a_lock(), "the order did not wait"
        return fill(article_id, user)

    monkeypatch.setattr(module, "fill_backorders", order_comes_in_then_fill)
    return placing, outcome


def test_a_count_that_finds_packs_and_an_order_of_the_article_both_go_through(
    lots, monkeypatch
):
    """A clerk's count finds two packs more in the lot with packs (booked, the
    lot locked) and goes on to fill the article's backorders just as a
    patient's order of the article comes in. Both go through, one after the
    other: the count took the article's lock before the lot's, as the order
    does, so neither waits for what the other holds (a deadlock, which
    PostgreSQL ends by failing one of them)."""
    placing, outcome = _an_order_comes_before_backorders_fill(
        returns, lots, monkeypatch
    )
    clerk = db.session.get(User, lots["clerk"])
    try:
        lot, difference = returns.count_lot(clerk, lots["lot"]["NEW"], 12, "found")
    finally:
        placing.join(timeout=30)
    assert (lot.on_hand, difference) == (12, 2)
    assert outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (12, 1)


def test_a_block_lifted_and_an_order_of_the_article_both_go_through(lots, monkeypatch):
    """The lot with packs was blocked; the clerk lifts the block just as an
    order comes in: the order waits and reserves from the lot released."""
    with db.session.begin_nested():
        db.session.get(StockLot, lots["lot"]["NEW"]).quarantined = True
    db.session.commit()
    placing, outcome = _an_order_comes_before_backorders_fill(
        blocked_lots, lots, monkeypatch
    )
    clerk = db.session.get(User, lots["clerk"])
    try:
        released = blocked_lots.release_block(
            clerk, lots["lot"]["NEW"], "Kontrollerad, felfri"
        )
    finally:
        placing.join(timeout=30)
    assert released.lot.quarantined is False
    assert outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (10, 1)


def test_packs_returned_to_stock_and_an_order_of_the_article_both_go_through(
    lots, monkeypatch
):
    """Two packs of a delivery come back unused and go on the shelf again,
    into the lot they were picked from, just as an order comes in."""
    prescriber = db.session.get(User, lots["prescriber"])
    clerk = db.session.get(User, lots["clerk"])
    delivered = place_order_for(prescriber, db.session.get(Article, lots["article"]), 2)
    shipping.ship_order(clerk, delivered.id)
    shipping.deliver_order(clerk, delivered.id, region_today())
    line_id = delivered.lines[0].id
    db.session.commit()
    placing, outcome = _an_order_comes_before_backorders_fill(
        returns, lots, monkeypatch
    )
    try:
        returned = returns.return_consumables(clerk, line_id, region_today(), packs=2)
    finally:
        placing.join(timeout=30)
    assert returned.packs_restocked == 2
    assert outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (10, 1)
