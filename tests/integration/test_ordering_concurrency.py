"""Withdrawals racing in real threads, each with its own app context and session.

PostgreSQL is the target (row locks, several gunicorn workers); SQLite runs the
same tests too, where the compare-and-set UPDATE and its single writer decide.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.common.errors import DomainError
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders import withdrawals
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock import reservations
from sesamlike.stock.models import Reservation
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_depot,
    make_prescribed,
    make_prescription,
    make_stock_lot,
)

THREADS = 20

pytestmark = pytest.mark.postgres if is_postgres() else []


def race(fn, n: int = THREADS) -> list[object]:
    """Run fn(i) in n threads released together; return results or exceptions."""
    app = current_app._get_current_object()
    barrier = threading.Barrier(n)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return fn(i)
            except Exception as exc:  # noqa: BLE001 - the outcome is what we count
                db.session.rollback()
                return exc
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def last_withdrawal():
    """A prescription with one withdrawal left, its patient and a prescriber."""
    world = make_prescribed(on_hand=100, withdrawals=4, withdrawals_used=3, lock_days=0)
    ids = world.prescriber.id, world.patient.id, world.rx.id
    db.session.expunge_all()
    return ids


def outcome_name(result) -> str:
    if isinstance(result, ordering.PlacedOrder):
        return "placed"
    if isinstance(result, DomainError):
        return result.code
    return f"unexpected {type(result).__name__}: {result}"


def test_twenty_racing_withdrawals_on_the_last_one_exactly_one_succeeds(
    last_withdrawal,
):
    user_id, patient_id, rx_id = last_withdrawal

    def withdraw(_i):
        user = db.session.get(User, user_id)
        return ordering.place_order(user, patient_id, [(rx_id, 1)], "home")

    outcomes = Counter(outcome_name(r) for r in race(withdraw))

    assert outcomes == {"placed": 1, "prescription_used_up": THREADS - 1}
    rx = db.session.get(Prescription, rx_id)
    assert rx.withdrawals_used == rx.withdrawals == 4
    assert db.session.scalar(sa.select(sa.func.count(OrderLine.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Reservation.id))) == 1


@pytest.mark.skipif(not is_postgres(), reason="row locks: PostgreSQL only")
def test_a_one_line_send_does_not_deadlock_with_a_give_back_of_another_rx():
    """A send locks the prescriptions it orders, not every one its form read:
    a writer that locks the same patient's prescriptions one at a time in
    another order (a supplier status import or a cancellation giving
    withdrawals back, line by line) only waits for it. (Locking all that the
    options read, tried in review, deadlocked here.)"""
    world = make_prescribed(lock_days=0)
    low = world.rx
    high = make_prescription(world.patient, make_article(), world.prescriber)
    assert low.id < high.id
    prescriber_id, patient_id = world.prescriber.id, world.patient.id
    low_id, high_id = low.id, high.id
    db.session.expunge_all()
    app = current_app._get_current_object()
    writer_holds_high, errors = threading.Event(), []

    def writer():  # as supplier_status: give_back(high line), then the low one
        with app.app_context():
            try:
                withdrawals.lock_prescriptions([high_id])
                writer_holds_high.set()
                time.sleep(0.5)  # the send reads and locks meanwhile
                withdrawals.lock_prescriptions([low_id])
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what we check
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    def send():  # as the portal's send: the options read, then one line ordered
        with app.app_context():
            try:
                writer_holds_high.wait(5)
                user = db.session.get(User, prescriber_id)
                ordering.order_options(user, patient_id, commit=False)
                ordering.place_order(user, patient_id, [(low_id, 1)], "home")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert db.session.get(Prescription, low_id).withdrawals_used == 1


def test_racing_withdrawals_under_a_time_lock_let_one_through(last_withdrawal):
    user_id, patient_id, rx_id = last_withdrawal
    rx = db.session.get(Prescription, rx_id)
    rx.withdrawals_used, rx.lock_days = 0, 60
    db.session.commit()

    def withdraw(_i):
        user = db.session.get(User, user_id)
        return ordering.place_order(user, patient_id, [(rx_id, 1)], "home")

    outcomes = Counter(outcome_name(r) for r in race(withdraw))

    assert outcomes == {"placed": 1, "time_locked": THREADS - 1}
    assert db.session.get(Prescription, rx_id).withdrawals_used == 1


def test_racing_requests_with_one_idempotency_key_make_one_order(last_withdrawal):
    user_id, patient_id, rx_id = last_withdrawal
    rx = db.session.get(Prescription, rx_id)
    rx.withdrawals_used = 0  # plenty left and no lock: only the key stops twins
    db.session.commit()

    def twin(_i):
        user = db.session.get(User, user_id)
        placed = ordering.place_order(
            user, patient_id, [(rx_id, 1)], "home", idempotency_key="double-click"
        )
        return placed.order.id, placed.created

    results = race(twin, 10)

    assert all(isinstance(r, tuple) for r in results), results
    assert len({order_id for order_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert db.session.get(Prescription, rx_id).withdrawals_used == 1


def test_racing_reservations_never_oversell_the_last_packs():
    article = make_article()
    make_stock_lot(article, make_depot(), on_hand=5)
    article_id = article.id

    def reserve(i):
        status = reservations.reserve(f"race:{i}", article_id, 1)
        db.session.commit()
        return status

    statuses = Counter(race(reserve))

    assert statuses == {"reserved": 5, "backordered": THREADS - 5}
    assert reservations.available(article_id) == 0


def test_a_renewal_and_an_order_of_the_same_prescription_do_not_deadlock(
    monkeypatch,
):
    """An order locks the patient's row, then the prescription; a renewal
    locks the prescription, then writes the new one, which refers to the
    patient. Had the order's lock on the patient kept such writes out (FOR
    UPDATE), each would wait for the other: both go through, one after the
    other."""
    from sesamlike.prescriptions import renewals

    world = make_prescribed(lock_days=0)
    prescriber_id, patient_id, rx_id = (
        world.prescriber.id,
        world.patient.id,
        world.rx.id,
    )
    db.session.expunge_all()
    app = current_app._get_current_object()
    renewal_holds, outcomes = threading.Event(), {}
    check = renewals.check_renewable

    def check_then_pause(old):
        check(old)
        renewal_holds.set()
        time.sleep(0.5)  # the order locks the patient and waits for the rx

    monkeypatch.setattr(renewals, "check_renewable", check_then_pause)

    def run(name, fn):
        with app.app_context():
            try:
                outcomes[name] = fn(db.session.get(User, prescriber_id))
            except Exception as exc:  # noqa: BLE001 - the outcome is what we check
                outcomes[name] = exc
                db.session.rollback()
            finally:
                db.session.remove()

    def order(user):
        renewal_holds.wait(5)
        return ordering.place_order(user, patient_id, [(rx_id, 1)], "home")

    threads = [
        threading.Thread(
            target=run,
            args=("renewal", lambda u: renewals.renew(u, rx_id, reason_code="medical")),
        ),
        threading.Thread(target=run, args=("order", order)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["renewal"], Prescription), outcomes
    assert isinstance(outcomes["order"], ordering.PlacedOrder), outcomes
    assert db.session.get(Prescription, rx_id).withdrawals_used == 1
