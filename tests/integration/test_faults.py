"""Faults: a server killed mid-order leaves nothing half-done; a failed job keeps
earlier results and shows on the job page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from sesamlike.accounts.services import issue_token
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.stock.models import Reservation, StockLot
from tests.conftest import is_postgres
from tests.factories import (
    make_article,
    make_depot,
    make_prescribed,
)
from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER = textwrap.dedent(
    """
    import sys
    from werkzeug.serving import make_server
    from sesamlike import create_app
    from sesamlike.config import TestConfig
    app = create_app(TestConfig(sys.argv[1]))
    make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True).serve_forever()
    """
)


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "SESAMLIKE_INSTANCE": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, database_url, str(port)], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(100):
        try:
            requests.get(f"{base}/openapi.json", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield process, base
    if process.poll() is None:
        process.kill()
        process.wait()


def counts() -> tuple:
    db.session.rollback()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Order, OrderLine, Reservation)
    )


def test_a_server_killed_in_the_middle_of_order_placement_leaves_no_partial_order(
    server, app
):
    process, base = server
    world = make_prescribed(article=make_article("INF-1"), depot=make_depot("HMC"))
    patient, rx, lot = world.patient, world.rx, world.lot
    token = issue_token(world.prescriber.username)
    used_before = rx.withdrawals_used
    assert counts() == (0, 0, 0)

    # Our own connection blocks the server's order transaction part-way. On
    # PostgreSQL a row lock on the stock lot: the server has inserted the order
    # and used a withdrawal, then waits to reserve (before its line goes in
    # with the reservation's status). On SQLite the write lock: the server
    # waits at its first write.
    blocker = db.engine.connect()
    try:
        if is_postgres():
            transaction = blocker.begin()
            blocker.execute(
                sa.select(StockLot).where(StockLot.id == lot.id).with_for_update()
            )
        else:
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
        answered_early = _order_killed_while_blocked(process, base, patient, rx, token)
    finally:
        # Also when an assertion above failed: a lock left held would keep the
        # test's teardown waiting for ever.
        if is_postgres():
            transaction.rollback()
        else:
            blocker.exec_driver_sql("ROLLBACK")
        blocker.close()
    assert not answered_early, "the order was answered before the kill"

    assert counts() == (0, 0, 0)
    db.session.expire_all()
    assert db.session.get(type(rx), rx.id).withdrawals_used == used_before
    assert db.session.get(StockLot, lot.id).on_hand == 10


def _order_killed_while_blocked(process, base, patient, rx, token) -> bool:
    """Post an order that blocks on our lock, see it part-way, kill the server;
    whether it answered before the kill."""
    body = {"patient_id": patient.id, "lines": [{"prescription_id": rx.id, "packs": 1}],
            "delivery_mode": "home"}  # fmt: skip
    client = (
        "import requests, sys, json; requests.post(sys.argv[1], timeout=30, "
        "json=json.loads(sys.argv[2]), headers={'Authorization': sys.argv[3]})"
    )
    request = subprocess.Popen(  # the client, so the test is free to wait
        [sys.executable, "-c", client, f"{base}/orders", json.dumps(body),
         f"Bearer {token}"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        if is_postgres():
            waiting = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            # A fresh transaction per look: pg_stat_activity is a snapshot per
            # transaction.
            for _ in range(100):
                with db.engine.connect() as look:
                    if look.execute(waiting).scalar():
                        break
                time.sleep(0.1)
            written = sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname IN ('orders', 'prescriptions') "
                "AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            )
            with db.engine.connect() as look:
                # It wrote the order and used the withdrawal.
                assert look.execute(written).scalar() == 2
        else:
            time.sleep(2)
        return request.poll() is not None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        request.wait()
