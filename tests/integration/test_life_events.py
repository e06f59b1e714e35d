"""A patient's life events: a move between clinics, protected identity, the
18th birthday, as the region's staff make them happen."""

from __future__ import annotations

from sesamlike.extensions import db
from sesamlike.orders import shipto
from sesamlike.patients import administration
from tests.factories import make_clinic, make_order, make_prescribed, make_user


def _moved(patient, old, new, admin):
    """The admin moves the patient's care from `old` to `new` (the admin page)."""
    administration.start_care(admin, patient.id, new.code)
    ended = next(c for c in patient.care_relationships if c.clinic_id == old.id)
    administration.end_care(admin, patient.id, ended.id)


def test_protected_after_a_move_sends_the_parcel_to_the_clinic_that_cares_now():
    """A patient moved from SODR to NORR with a home order still open on a
    SODR prescription, then got protected identity: the parcel went to SODR,
    whose staff no longer reach the patient to hand it over."""
    old = make_clinic("SODR", street="Södra vägen 1", postal_code="41101",
                      city="Söderby")  # fmt: skip
    new = make_clinic("NORR", street="Norra vägen 2", postal_code="41102",
                      city="Norrstad")  # fmt: skip
    world = make_prescribed(old)
    order = make_order(world.patient, [(world.rx, 1, "reserved", None)])
    admin = make_user("admin")
    _moved(world.patient, old, new, admin)
    administration.set_protection(admin, world.patient.id, True, "Beslut")
    db.session.expire_all()

    place = shipto.ship_to(db.session.get(type(order), order.id))

    assert place.mode == "clinic" and place.neutral
    assert (place.name, place.street) == (new.name, "Norra vägen 2")


def test_a_moved_patients_own_order_to_the_clinic_goes_to_the_clinic_caring_now():
    """A patient who moved from SODR to NORR orders on a SODR prescription
    still in force, to be collected at the clinic: the order named SODR's
    address, where no one cares for the patient any more."""
    from sesamlike.orders import services as ordering
    from sesamlike.orders.models import Order

    old = make_clinic(street="Södra vägen 1", postal_code="41101", city="Söderby")
    new = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    world = make_prescribed(old)
    own = make_user("patient", patients=[world.patient])
    _moved(world.patient, old, new, make_user("admin"))

    placed = ordering.place_order(own, world.patient.id, [(world.rx.id, 1)], "clinic")
    order = db.session.get(Order, placed.order.id)

    assert (order.ship_to_name, order.ship_to_street) == (new.name, "Norra vägen 2")
