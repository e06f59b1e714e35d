"""A cancellation of the patient's order at the moment the clinic registers
the end of care, or the admin sets protected identity.

Each in its own thread, app context and session, as two gunicorn workers.
The end of care and protection lock the patient's row and then the patient's
orders; a cancellation locked the order and then, giving the withdrawal back
(`withdrawals.lock_prescriptions`), the patient's row: each waited for the
other, and PostgreSQL ended one of them with a deadlock error.

PostgreSQL only: SQLite takes no row locks.
"""

from __future__ import annotations

import threading
import time

import pytest
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders import withdrawals
from sesamlike.orders.models import Order
from sesamlike.patients import administration, care_end
from sesamlike.patients.models import Patient
from tests.conftest import is_postgres
from tests.factories import make_clinic, make_prescribed, make_user

pytestmark = (
    pytest.mark.postgres
    if is_postgres()
    else pytest.mark.skip(reason="row locks: PostgreSQL only (SQLite takes none)")
)

# Longer than PostgreSQL's deadlock_timeout (1 s): the cycle, if any, is found.
PAUSE = 1.5
FIRST = "first"


@pytest.fixture
def world():
    """A patient's order to the home, 2 packs reserved; the prescriber and an
    admin."""
    clinic = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    prescribed = make_prescribed(clinic, packs_per_withdrawal=2, lock_days=0)
    order = ordering.place_order(
        prescribed.prescriber, prescribed.patient.id, [(prescribed.rx.id, 2)], "home"
    ).order
    admin = make_user("admin")
    ids = (prescribed.prescriber.id, admin.id, prescribed.patient.id, order.id)
    db.session.expunge_all()
    return ids


def _both(first, second) -> list[object]:
    """`first` in a thread named FIRST, `second` in another; their outcomes."""
    app = current_app._get_current_object()
    outcomes: list[object] = [None, None]

    def run(index, fn):
        with app.app_context():
            try:
                outcomes[index] = fn()
            except Exception as exc:  # noqa: BLE001 - the outcome is the test's
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(0, first), name=FIRST),
        threading.Thread(target=run, args=(1, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _end_care(prescriber_id, patient_id):
    care_end.end_care(
        db.session.get(User, prescriber_id), patient_id, "deceased", region_today()
    )


def _protect(admin_id, patient_id):
    administration.set_protection(
        db.session.get(User, admin_id), patient_id, True, "Beslut om skydd"
    )


@pytest.mark.parametrize("other", ["end of care", "protection"])
def test_a_cancellation_meeting_the_end_of_care_or_protection_is_no_deadlock(
    world, monkeypatch, other
):
    prescriber_id, admin_id, patient_id, order_id = world
    holding = threading.Event()
    lock_prescriptions = withdrawals.lock_prescriptions

    def pause_in_the_canceller(ids):
        # The canceller holds the order (and, mended, the patient) here.
        if threading.current_thread().name == FIRST:
            holding.set()
            time.sleep(PAUSE)
        return lock_prescriptions(ids)

    monkeypatch.setattr(withdrawals, "lock_prescriptions", pause_in_the_canceller)

    def cancel():
        return ordering.cancel_order(db.session.get(User, prescriber_id), order_id)

    def meanwhile():
        holding.wait(10)
        if other == "end of care":
            return _end_care(prescriber_id, patient_id)
        return _protect(admin_id, patient_id)

    cancelled, done = _both(cancel, meanwhile)

    assert isinstance(cancelled, Order), cancelled
    assert done is None, done
    db.session.expire_all()
    assert db.session.get(Order, order_id).cancelled_at is not None
    patient = db.session.get(Patient, patient_id)
    if other == "end of care":
        assert patient.care_ended_reason == "deceased"
    else:
        assert patient.protected_identity
