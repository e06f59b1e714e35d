"""Protected identity set while an order of the patient is being placed.

Each in its own thread, app context and session, as two gunicorn workers: an
admin sets protected identity while a prescriber's order to the patient's home
is under way. Whichever commits first, the order must end up going to the
clinic without the home address: protection reroutes the orders it sees, and
an order placed after it sends its parcel to the clinic. Before, neither saw
the other, and the order kept the home address of a protected patient.

PostgreSQL only: the order and the protection meet at the patient's row lock.
SQLite takes no row locks (its reads are outside the writer's transaction).
"""

from __future__ import annotations

import pytest

from sesamlike.common.errors import DomainError
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order
from sesamlike.patients import administration, protection
from sesamlike.prescriptions.models import Prescription
from tests.conftest import is_postgres
from tests.factories import make_clinic, make_prescribed, make_user
from tests.threads import in_two_threads, pause_in_first

pytestmark = (
    pytest.mark.postgres
    if is_postgres()
    else pytest.mark.skip(reason="row locks: PostgreSQL only (SQLite takes none)")
)

PAUSE = 0.5  # seconds the first transaction stays open after its write


@pytest.fixture
def world():
    clinic = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    prescribed = make_prescribed(clinic, lock_days=0)
    admin = make_user("admin")
    ids = (prescribed.prescriber.id, admin.id, prescribed.patient.id, prescribed.rx.id)
    db.session.expunge_all()
    return ids


def _the_order(patient_id: int) -> Order:
    db.session.expire_all()
    return db.session.query(Order).filter_by(patient_id=patient_id).one()


def _place(prescriber_id, patient_id, rx_id):
    from sesamlike.accounts.models import User

    user = db.session.get(User, prescriber_id)
    return ordering.place_order(user, patient_id, [(rx_id, 1)], "home")


def _protect(admin_id, patient_id):
    from sesamlike.accounts.models import User

    admin = db.session.get(User, admin_id)
    administration.set_protection(admin, patient_id, True, "Beslut om skydd")


def test_protection_set_while_an_order_is_placed_reroutes_it(world, monkeypatch):
    """The order has written its row and not committed when the admin sets
    protection: protection's rerouting did not see the order, which went home."""
    prescriber_id, admin_id, patient_id, rx_id = world
    written = pause_in_first(monkeypatch, notices, "order_received", PAUSE, after=True)

    def protect():
        written.wait(10)
        return _protect(admin_id, patient_id)

    placed, protected = in_two_threads(
        lambda: _place(prescriber_id, patient_id, rx_id), protect
    )

    assert isinstance(placed, ordering.PlacedOrder), placed
    assert protected is None, protected
    order = _the_order(patient_id)
    assert order.delivery_mode == "clinic"
    assert (order.ship_to_street, order.ship_to_door_code) == ("Norra vägen 2", None)


def test_an_order_home_placed_while_protection_is_set_is_refused(world, monkeypatch):
    """The admin's protection has rerouted the orders it saw and not committed
    when the order to the home is placed: the order read the patient as
    unprotected and kept the home address and door code. It now waits and is
    refused as any order home of a protected patient is (choose the clinic),
    nothing written."""
    prescriber_id, admin_id, patient_id, rx_id = world
    flagged = pause_in_first(monkeypatch, protection, "protected", PAUSE, after=True)

    def place():
        flagged.wait(10)
        return _place(prescriber_id, patient_id, rx_id)

    protected, placed = in_two_threads(lambda: _protect(admin_id, patient_id), place)

    assert protected is None, protected
    assert isinstance(placed, DomainError), placed
    assert placed.code == "protected_identity_clinic_only"
    db.session.expire_all()
    assert db.session.query(Order).filter_by(patient_id=patient_id).count() == 0
    assert db.session.get(Prescription, rx_id).withdrawals_used == 0
