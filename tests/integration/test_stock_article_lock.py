"""What an order locks while it reserves: its articles, and their lots with packs.

Lots are never deleted, so an article's history holds many lots used up long
ago. An order locks the article (PostgreSQL's advisory lock) and the lots that
hold packs, not every lot the article ever had; packs put into an empty lot
meanwhile still reach the order, as before. Real threads and connections:
PostgreSQL's locks (SQLite has one writer at a time).
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import blocked_lots, returns, shipping, swaps
from sesamlike.orders import services as ordering
from sesamlike.orders import withdrawals
from sesamlike.patients.models import Patient
from sesamlike.stock import devices, ledger, picking, receipts, reservations
from sesamlike.stock.models import StockLot
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
    make_pump,
    place_order_for,
)

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for NOWAIT refused

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
                sa.select(StockLot.id)
                .where(StockLot.id == lot_id)
                .with_for_update(nowait=True)
            )
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return True
    return False


def test_an_order_locks_its_article_and_its_lots_with_packs_not_its_empty_lots(lots):
    reservations.plan_many([(lots["article"], 1)])  # held until the rollback
    other = db.engine.connect()
    try:
        with other.begin():
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


def test_the_articles_locks_come_before_any_lot_is_locked(lots):
    """The lock statement takes the articles' advisory locks in a condition
    of no row, which PostgreSQL computes once before it reads (and locks)
    the first lot: an InitPlan feeding a one-time filter under LockRows, in
    a custom plan and in a prepared statement's generic plan alike (psycopg
    prepares a statement run often). Should a later PostgreSQL plan it
    otherwise, orders could take lots before articles; this test says so."""
    compiled = reservations._LOCK_LOTS.compile(dialect=db.engine.dialect)
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", str(compiled))))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}",
                      str(compiled))  # fmt: skip
    values = {**compiled.params, "article_ids": [lots["article"]]}
    arguments = ", ".join(
        f"ARRAY{values[name]}::integer[]"
        if name == "article_ids"
        else str(values[name])
        for name in names
    )
    connection = db.session.connection()
    connection.exec_driver_sql(f"PREPARE lock_lots AS {numbered}")
    try:
        for mode in ("force_custom_plan", "force_generic_plan"):
            connection.exec_driver_sql(f"SET LOCAL plan_cache_mode = {mode}")
            plan = "\n".join(
                row[0]
                for row in connection.exec_driver_sql(
                    f"EXPLAIN (COSTS OFF) EXECUTE lock_lots({arguments})"
                )
            )
            assert plan.startswith("LockRows"), plan
            assert "InitPlan 1" in plan and "One-Time Filter: ($0 >= " in plan, plan
            assert plan.index("One-Time Filter") < plan.index(" on stock_lots"), plan
            if mode == "force_generic_plan":
                assert "$2" in plan, plan  # the ids as a parameter: a generic plan
    finally:  # a session's prepared statement outlives its transaction
        connection.exec_driver_sql("DEALLOCATE lock_lots")
    db.session.rollback()


class Racer(threading.Thread):
    """A use case in a thread of its own, with its own session; `waiting()`
    says whether its transaction waits for a lock (its own backend's)."""

    def __init__(self, run):
        super().__init__()
        self.run_case = run
        self.app = current_app._get_current_object()
        self.pid: int | None = None
        self.started_work = threading.Event()
        self.outcome: list[object] = []

    def run(self) -> None:
        with self.app.app_context():
            try:
                self.pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
                self.started_work.set()
                self.outcome.append(self.run_case())
            except Exception as error:  # noqa: BLE001 - the outcome is asserted
                self.outcome.append(error)
            finally:
                self.started_work.set()
                db.session.remove()

    def waiting(self, timeout: float = 5.0) -> bool:
        assert self.started_work.wait(timeout)
        connection = db.engine.connect()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.is_alive():
                waiting = connection.scalar(
                    sa.text("SELECT count(*) FROM pg_locks "
                            "WHERE pid = :pid AND NOT granted"),
                    {"pid": self.pid},
                )  # fmt: skip
                connection.rollback()
                if waiting:
                    return True
                time.sleep(0.02)
            return False
        finally:
            connection.close()


def _ordering(lots, prescriptions=("rx",)) -> Racer:
    """A thread that places an order of one pack on each prescription named
    (keys of `lots`); its outcome is the lines' statuses."""

    def order():
        user = db.session.get(User, lots["prescriber"])
        lines = [(lots[name], 1) for name in prescriptions]
        placed = ordering.place_order(user, lots["patient"], lines, "home")
        statuses = [line.status for line in placed.order.lines]
        return statuses[0] if len(statuses) == 1 else statuses

    return Racer(order)


def _second_article(lots) -> None:
    """A second article (a higher id) with stock and a prescription of it."""
    other = make_article("SET-8")
    clerk = db.session.get(User, lots["clerk"])
    shipping.receive_stock(clerk, "HMC", "SET-8", 10, lot="B1")
    patient = db.session.get(Patient, lots["patient"])
    lots["rx_other"] = make_prescription(patient, other, lock_days=0).id
    lots["other"] = other.id
    db.session.commit()
    assert lots["other"] > lots["article"]


def test_an_order_while_packs_go_into_an_empty_lot_waits_and_reserves_them(lots):
    """The article's only lot is used up; a receipt into it is under way
    (booked, its backorders filled, not committed) when an order comes: the
    order waits for it and reserves its packs, rather than reading no stock
    and leaving a backorder the receipt has already passed by."""
    with db.session.begin_nested():
        new = db.session.get(StockLot, lots["lot"]["NEW"])
        ledger.book("adjustment", new, -10)
    db.session.commit()
    receipts.receive("HMC", "SET-9", 4, lot="OLD")  # not committed yet
    placing = _ordering(lots)
    placing.start()
    try:
        assert placing.waiting(), "the order did not wait for the receipt"
        db.session.commit()
    finally:
        db.session.rollback()  # (after a failure: let the order go on)
        placing.join(timeout=30)
    assert placing.outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (4, 1)


def _an_order_comes_before_backorders_fill(module, lots, monkeypatch) -> Racer:
    """Patch `module.fill_backorders` (a use case's): an order of the article
    comes in first and waits for a lock; then the backorders fill. Returns the
    order's thread (to join)."""
    placing = _ordering(lots)
    fill = module.fill_backorders

    def order_comes_in_then_fill(article_id, user):
        placing.start()
        assert placing.waiting(), "the order did not wait"
        return fill(article_id, user)

    monkeypatch.setattr(module, "fill_backorders", order_comes_in_then_fill)
    return placing


def _finish(racer: Racer) -> None:
    """After the use case in this thread: its transaction ends (a failed one
    is rolled back, so the racer is not left waiting), then the racer's."""
    db.session.rollback()
    racer.join(timeout=30)


def test_a_count_that_finds_packs_and_an_order_of_the_article_both_go_through(
    lots, monkeypatch
):
    """A clerk's count finds two packs more in the lot with packs (booked, the
    lot locked) and goes on to fill the article's backorders just as a
    patient's order of the article comes in. Both go through, one after the
    other: the count took the article's lock before the lot's, as the order
    does, so neither waits for what the other holds (a deadlock, which
    PostgreSQL ends by failing one of them)."""
    placing = _an_order_comes_before_backorders_fill(returns, lots, monkeypatch)
    clerk = db.session.get(User, lots["clerk"])
    try:
        lot, difference = returns.count_lot(clerk, lots["lot"]["NEW"], 12, "found")
    finally:
        _finish(placing)
    assert (lot.on_hand, difference) == (12, 2)
    assert placing.outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (12, 1)


def test_a_block_lifted_and_an_order_of_the_article_both_go_through(lots, monkeypatch):
    """The lot with packs was blocked; the clerk lifts the block just as an
    order comes in: the order waits and reserves from the lot released."""
    with db.session.begin_nested():
        db.session.get(StockLot, lots["lot"]["NEW"]).quarantined = True
    db.session.commit()
    placing = _an_order_comes_before_backorders_fill(blocked_lots, lots, monkeypatch)
    clerk = db.session.get(User, lots["clerk"])
    try:
        released = blocked_lots.release_block(
            clerk, lots["lot"]["NEW"], "Kontrollerad, felfri"
        )
    finally:
        _finish(placing)
    assert released.lot.quarantined is False
    assert placing.outcome == ["reserved"]
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
    placing = _an_order_comes_before_backorders_fill(returns, lots, monkeypatch)
    try:
        returned = returns.return_consumables(clerk, line_id, region_today(), packs=2)
    finally:
        _finish(placing)
    assert returned.packs_restocked == 2
    assert placing.outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (10, 1)


def test_picking_an_order_of_two_articles_and_an_order_of_both_go_through(
    lots, monkeypatch
):
    """The clerk picks an order whose first line is the article with the
    higher id; a patient's order of both articles comes in between the two
    picks. Both go through: the pick locked both articles first, in the
    order every order takes them (line by line, it held the second article
    while the new order held the first: a deadlock)."""
    _second_article(lots)
    prescriber = db.session.get(User, lots["prescriber"])
    to_pick = ordering.place_order(
        prescriber, lots["patient"], [(lots["rx_other"], 1), (lots["rx"], 1)], "home"
    ).order_id
    db.session.commit()
    racer = _ordering(lots, ("rx", "rx_other"))
    pick = picking.pick

    def the_order_comes_in_after_the_first_pick(reference, **kwargs):
        picked = pick(reference, **kwargs)
        if not racer.is_alive() and not racer.outcome:
            racer.start()
            assert racer.waiting(), "the order did not wait"
        return picked

    monkeypatch.setattr(picking, "pick", the_order_comes_in_after_the_first_pick)
    clerk = db.session.get(User, lots["clerk"])
    try:
        picked = shipping.pick_order(clerk, to_pick)
    finally:
        _finish(racer)
    assert {line.status for line in picked.lines} == {"reserved"}
    assert racer.outcome == [["reserved", "reserved"]]


def test_cancelling_a_picked_order_and_a_new_order_on_its_prescription_both_go_through(
    lots, monkeypatch
):
    """A picked order is cancelled (its packs go back on the shelf, its
    withdrawal back to the prescription) just as the patient orders again on
    the same prescription. Both go through: the cancellation locked the
    prescription, then the article, as an order does (it held the article
    and waited for the prescription, which the new order held while it
    waited for the article: a deadlock)."""
    prescriber = db.session.get(User, lots["prescriber"])
    first = ordering.place_order(prescriber, lots["patient"], [(lots["rx"], 1)], "home")
    clerk = db.session.get(User, lots["clerk"])
    shipping.pick_order(clerk, first.order_id)
    db.session.commit()
    racer = _ordering(lots)
    give_back = withdrawals.give_back

    def the_order_comes_in_then_give_back(line):
        racer.start()
        assert racer.waiting(), "the order did not wait"
        return give_back(line)

    monkeypatch.setattr(withdrawals, "give_back", the_order_comes_in_then_give_back)
    try:
        cancelled = ordering.cancel_order(prescriber, first.order_id)
    finally:
        _finish(racer)
    assert cancelled.lines[0].status == "cancelled"
    assert racer.outcome == ["reserved"]
    level = reservations.stock_level(lots["article"])
    assert (level.on_hand, level.reserved) == (10, 1)


def test_a_pump_swapped_under_warranty_and_an_order_of_the_pump_both_go_through(
    monkeypatch,
):
    """A faulty pump is swapped at the counter: the old one goes into the
    quarantine lot (which holds a device already, so orders lock it) just as
    a prescriber orders the same pump for another patient. Both go through:
    the swap took the article's lock before the quarantine lot's (it held the
    lot and waited for the article, which the order held while it waited for
    the lot: a deadlock)."""
    world = make_depot_world()
    pump = make_pump("MM640", pack_size=1, channel="central")
    shipping.receive_stock(world.clerk, "HMC", "MM640", 3,
                           serials=["P-1", "P-2", "P-3"], lot="")  # fmt: skip
    held = ledger.quarantine_lot(world.depot.id, pump.id)
    ledger.book("return", held, 1)  # a device returned earlier, not yet checked
    first, other = make_patient(world.clinic), make_patient(world.clinic)
    rx = make_prescription(first, pump, world.prescriber, lock_days=0)
    rx_other = make_prescription(other, pump, world.prescriber, lock_days=0)
    lent = ordering.place_order(world.prescriber, first.id, [(rx.id, 1)], "clinic")
    shipping.ship_order(world.clerk, lent.order_id,
                        serials={lent.order.lines[0].id: ["P-1"]})  # fmt: skip
    shipping.deliver_order(world.clerk, lent.order_id, region_today())
    ids = world.prescriber.id, other.id, rx_other.id
    db.session.commit()

    def order():
        user = db.session.get(User, ids[0])
        placed = ordering.place_order(user, ids[1], [(ids[2], 1)], "clinic")
        return placed.order.lines[0].status

    racer = Racer(order)
    to_quarantine = devices.return_to_quarantine

    def the_order_comes_in_after(*args, **kwargs):
        device = to_quarantine(*args, **kwargs)
        racer.start()
        assert racer.waiting(), "the order did not wait"
        return device

    monkeypatch.setattr(devices, "return_to_quarantine", the_order_comes_in_after)
    try:
        new = swaps.swap_device(world.clerk, "P-1", "P-2", region_today())
    finally:
        _finish(racer)
    assert new.serial_no == "P-2"
    assert racer.outcome == ["reserved"]
