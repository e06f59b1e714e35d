"""Thirty orders race for ten packs; a receipt then serves the rest in order.

Real threads, each with its own app context and session. PostgreSQL is the
target (row locks on the article's lots serialise reservations); SQLite runs
the same test, where its single writer does.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import OrderLine
from sesamlike.stock import ledger, reservations
from sesamlike.stock.models import Reservation
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
)
from tests.integration.test_ordering_concurrency import race

ORDERS = 30
PACKS = 10

pytestmark = pytest.mark.postgres if is_postgres() else []


def test_thirty_orders_for_ten_packs_reserve_ten_and_backorder_twenty_in_order():
    world = make_depot_world()
    article = make_article("SET-1")
    shipping.receive_stock(world.clerk, "HMC", "SET-1", PACKS, lot="L1")
    wanted = []
    for _ in range(ORDERS):
        patient = make_patient(world.clinic)
        rx = make_prescription(patient, article, lock_days=0)
        wanted.append((patient.id, rx.id))
    ids = world.prescriber.id, world.clerk.id, article.id
    db.session.expunge_all()
    app = current_app._get_current_object()
    free: list[int] = []  # on hand - reserved, sampled while the orders race
    done = threading.Event()

    def watch():
        with app.app_context():
            while not done.is_set():
                level = reservations.stock_level(ids[2])
                free.append(level.on_hand - level.reserved)
                db.session.rollback()
            db.session.remove()

    def place(i):
        user = db.session.get(User, ids[0])
        patient_id, rx_id = wanted[i]
        placed = ordering.place_order(user, patient_id, [(rx_id, 1)], "home")
        return placed.order.lines[0].status

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        statuses = Counter(race(place, ORDERS))
    finally:
        done.set()
        watcher.join()

    assert free and min(free) >= 0, "reserved more than on hand"

    assert statuses == {"reserved": PACKS, "backordered": ORDERS - PACKS}
    level = reservations.stock_level(ids[2])
    assert (level.on_hand, level.reserved, level.available) == (PACKS, PACKS, 0)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OrderLine.id)).where(OrderLine.status == "reserved")
        )
        == PACKS
    )
    queue = list(
        db.session.scalars(
            sa.select(Reservation.reference)
            .where(Reservation.status == "backordered")
            .order_by(Reservation.created_at, Reservation.id)
        )
    )
    assert len(queue) == ORDERS - PACKS

    clerk = db.session.get(User, ids[1])
    first = shipping.receive_stock(clerk, "HMC", "SET-1", 5, lot="L2")
    assert first.filled == queue[:5]
    rest = shipping.receive_stock(clerk, "HMC", "SET-1", 15, lot="L3")
    assert rest.filled == queue[5:]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OrderLine.id)).where(OrderLine.status == "reserved")
        )
        == ORDERS
    )
    assert reservations.stock_level(ids[2]).available == 0
    assert ledger.ledger_mismatches() == []
