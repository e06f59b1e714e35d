"""The data versions (common.data_versions) never make two writers wait for each
other where their own rows would not.

Two real PostgreSQL connections, each a writer as the app has them: a supplier
import (order lines of many patients, one statement at a time, giving back a
cancelled line's withdrawal) and a portal reorder (the patient's prescription
locked, then written). With 0024's counter rows both tests failed: the reorder
waited for the import's commit at the patient's counter, and the import and the
reorder deadlocked.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from tests.conftest import is_postgres
from tests.factories import make_delivery
from tests.portal_data import TODAY, make_region

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres(), reason="row locks of concurrent writers"),
]

CANCEL_LINE = sa.text("UPDATE order_lines SET status = 'cancelled' WHERE id = :line")
LOCK_PRESCRIPTION = sa.text(
    "SELECT withdrawals_used FROM prescriptions WHERE id = :rx FOR UPDATE"
)
USE_WITHDRAWAL = sa.text(
    "UPDATE prescriptions SET withdrawals_used = withdrawals_used + :step "
    "WHERE id = :rx"
)


@pytest.fixture
def world():
    region = make_region()
    order = make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=3))
    region.rx_infusion.withdrawals_used = 1  # the line's, given back on a cancel
    db.session.commit()
    return order.lines[0].id, region.rx_infusion.id, 1


def connection(lock_timeout: str = "10s") -> sa.Connection:
    conn = db.engine.connect()
    conn.execute(sa.text(f"SET lock_timeout = '{lock_timeout}'"))
    conn.commit()
    return conn


def test_a_reorder_does_not_wait_for_an_import_of_the_patients_lines(world):
    line, rx, _used = world
    importer, reorder = connection(), connection(lock_timeout="2s")
    try:
        importer.execute(CANCEL_LINE, {"line": line})  # not committed yet
        # The patient's prescription is not a row the import has written.
        reorder.execute(LOCK_PRESCRIPTION, {"rx": rx})
        reorder.execute(USE_WITHDRAWAL, {"rx": rx, "step": 1})
        reorder.commit()
        importer.commit()
    finally:
        importer.close()
        reorder.close()


def waiting_on_a_lock(pid: int) -> bool:
    with db.engine.connect() as watcher:
        return bool(
            watcher.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE pid = :pid AND wait_event_type = 'Lock'"
                ),
                {"pid": pid},
            )
        )


def test_an_import_giving_back_a_withdrawal_and_a_reorder_never_deadlock(world):
    line, rx, used = world
    importer, reorder = connection(), connection()
    reorder_pid = reorder.scalar(sa.text("SELECT pg_backend_pid()"))
    outcome: dict[str, object] = {}
    locked = threading.Event()

    def reorder_the_same_aid():
        try:
            reorder.execute(LOCK_PRESCRIPTION, {"rx": rx})
            locked.set()
            reorder.execute(USE_WITHDRAWAL, {"rx": rx, "step": 1})
            reorder.commit()
            outcome["reorder"] = "committed"
        except sa.exc.DBAPIError as error:
            locked.set()
            reorder.rollback()
            outcome["reorder"] = type(error.orig).__name__

    try:
        importer.execute(CANCEL_LINE, {"line": line})
        thread = threading.Thread(target=reorder_the_same_aid)
        thread.start()
        assert locked.wait(10)
        # The reorder holds the prescription: it has either gone on and
        # committed or is waiting for a lock of the import's.
        deadline = time.monotonic() + 10
        while thread.is_alive() and not waiting_on_a_lock(reorder_pid):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        try:
            # The import gives the cancelled line's withdrawal back.
            importer.execute(USE_WITHDRAWAL, {"rx": rx, "step": -1})
            importer.commit()
            outcome["import"] = "committed"
        except sa.exc.DBAPIError as error:
            importer.rollback()
            outcome["import"] = type(error.orig).__name__
        thread.join(20)
    finally:
        importer.close()
        reorder.close()
    assert outcome == {"import": "committed", "reorder": "committed"}
    assert (
        db.session.scalar(
            sa.text("SELECT withdrawals_used FROM prescriptions WHERE id = :rx"),
            {"rx": rx},
        )
        == used
    )
