"""A patient's life events: a move between clinics, protected identity, the
18th birthday, as the region's staff make them happen."""

from __future__ import annotations

from sesamlike.common.time import region_today
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


def _pump_delivered_at_the_clinic():
    """The aids centre's world and an order of pump P-1, delivered at the
    prescriber's clinic (P-2 in stock for its replacement)."""
    from sesamlike.fulfilment import shipping
    from sesamlike.orders.models import Order
    from tests.factories import make_depot_world, make_pump, place_order_for

    world = make_depot_world()
    pump = make_pump(pack_size=1)
    shipping.receive_stock(world.clerk, "HMC", pump.article_no, 2,
                           serials=["P-1", "P-2"])  # fmt: skip
    first = place_order_for(world.prescriber, pump, mode="clinic")
    shipping.ship_order(world.clerk, first.id, serials={first.lines[0].id: ["P-1"]})
    shipping.deliver_order(world.clerk, first.id, region_today())
    return world, db.session.get(Order, first.id)


def test_a_warranty_replacement_after_a_move_ships_to_where_the_patient_is_now():
    """The first pump went to SODR, the clinic then caring for the patient;
    the patient moved to NORR; the pump broke and the aids centre ordered its
    warranty replacement: it was sent to SODR (the first order's address,
    copied), where no one could hand it over."""
    from sesamlike.fulfilment import returns

    world, first = _pump_delivered_at_the_clinic()
    old = world.clinic
    old.street, old.postal_code, old.city = "Södra vägen 1", "41101", "Söderby"
    new = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    patient = first.patient
    _moved(patient, old, new, make_user("admin"))
    device = returns.return_device(world.clerk, "P-1", "faulty", region_today())

    replacement = returns.replace_device(world.clerk, device.id)

    assert (replacement.ship_to_name, replacement.ship_to_street) == (
        new.name,
        "Norra vägen 2",
    )


def test_a_warranty_replacement_ships_home_to_the_address_the_patient_has_now():
    """A pump sent home two years ago; the patient has moved house since: the
    replacement went to the old street, copied from the first order."""
    from sesamlike.fulfilment import returns
    from sesamlike.patients import services as patients

    world, sent = _pump_delivered_at_the_clinic()  # then as if sent home
    sent.delivery_mode = "home"
    home = sent.patient.home_address()
    sent.ship_to_street, sent.ship_to_door_code = home.street, home.door_code
    db.session.commit()
    patient_id = sent.patient_id
    patients.set_home_address(world.prescriber, patient_id, {
        "street": "Nya gatan 5", "postal_code": "41103", "city": "Göteborg",
        "door_code": "",
    })  # fmt: skip
    device = returns.return_device(world.clerk, "P-1", "faulty", region_today())

    replacement = returns.replace_device(world.clerk, device.id)

    assert (replacement.ship_to_street, replacement.ship_to_door_code) == (
        "Nya gatan 5",
        None,
    )


def _home_order_at_the_aids_centre():
    """The aids centre's world, its clinic at Norra vägen 2, and an order to
    the home of an article in stock there."""
    from sesamlike.fulfilment import shipping
    from tests.factories import make_article, make_depot_world, place_order_for

    world = make_depot_world()
    world.clinic.street, world.clinic.postal_code = "Norra vägen 2", "41102"
    world.clinic.city = "Norrstad"
    article = make_article()
    shipping.receive_stock(world.clerk, "HMC", article.article_no, 5, lot="L1")
    return world, place_order_for(world.prescriber, article, mode="home")


def test_an_order_rerouted_to_the_clinic_by_protection_can_be_handed_over_there():
    """Protected identity set while an order to the home address waited to be
    picked: the parcel went to the clinic (as it must), but the order stayed
    "home" in the books, so it never came on the clinic's list of orders
    waiting to be collected, and marking it collected was refused
    (NotAtClinic): the clinic held a parcel it could not hand over."""
    from sesamlike.fulfilment import shipping
    from sesamlike.orders import clinic as collection
    from sesamlike.orders import worklists
    from sesamlike.orders.models import Order

    world, placed = _home_order_at_the_aids_centre()
    patient_id = placed.patient_id
    administration.set_protection(make_user("admin"), patient_id, True, "Beslut")
    shipping.ship_order(world.clerk, placed.id)
    shipping.deliver_order(world.clerk, placed.id, region_today())

    listed = worklists.work_list(world.prescriber, "at_clinic")
    assert [row.order.id for row in listed.rows] == [placed.id]
    collection.mark_collected(world.prescriber, placed.id)
    order = db.session.get(Order, placed.id)
    assert order.collected_on == region_today()
    # Nothing of the home address is kept on the order any more.
    assert order.ship_to_street == "Norra vägen 2" and order.ship_to_door_code is None


def test_a_parcel_on_its_way_home_at_protection_is_not_said_to_go_to_the_clinic():
    """The order had left for the home address when protected identity was
    set: its page told the prescriber (and the patient) "Till mottagningen",
    with the clinic's address, for a parcel the post was bringing home; the
    clinic waited for it and the patient went there. It says home, with no
    address shown."""
    from sesamlike.fulfilment import shipping
    from sesamlike.orders.models import Order

    world, placed = _home_order_at_the_aids_centre()
    shipping.ship_order(world.clerk, placed.id)
    administration.set_protection(make_user("admin"), placed.patient_id, True, "B")
    db.session.expire_all()
    order = db.session.get(Order, placed.id)

    place = shipto.ship_to(order)

    assert (place.mode, place.has_address, place.neutral) == ("home", False, True)
    assert shipto.mode_in_force(order) == "home"


def test_an_order_to_the_old_clinic_not_sent_yet_follows_the_patient_who_moved():
    """SODR ordered to the clinic; the patient moved to NORR before the parcel
    left: it went to SODR, whose staff no longer reach the patient, while
    NORR's list said it waited at NORR."""
    from sesamlike.orders import services as ordering
    from sesamlike.orders.models import Order

    old = make_clinic(street="Södra vägen 1", postal_code="41101", city="Söderby")
    new = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    world = make_prescribed(old)
    placed = ordering.place_order(
        world.prescriber, world.patient.id, [(world.rx.id, 1)], "clinic"
    )
    assert db.session.get(Order, placed.order.id).ship_to_street == "Södra vägen 1"

    _moved(world.patient, old, new, make_user("admin"))

    order = db.session.get(Order, placed.order.id, populate_existing=True)
    assert (order.delivery_mode, order.ship_to_name, order.ship_to_street) == (
        "clinic",
        new.name,
        "Norra vägen 2",
    )


def test_an_order_already_in_the_suppliers_file_stays_with_the_old_clinic():
    """SODR ordered a pump from the supplier to the clinic and the day's
    supplier file went out with SODR's address; then the patient moved to
    NORR. The supplier delivers to SODR: NORR's list must not say the pump
    waits at NORR (nobody there would ever get it)."""
    from sesamlike.channels.supplier import export_supplier_orders
    from sesamlike.orders import services as ordering
    from sesamlike.orders.models import Order
    from tests.factories import make_article

    old = make_clinic(street="Södra vägen 1", postal_code="41101", city="Söderby")
    new = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    world = make_prescribed(old, make_article(channel="supplier"))
    placed = ordering.place_order(
        world.prescriber, world.patient.id, [(world.rx.id, 1)], "clinic"
    )
    assert export_supplier_orders(region_today(), make_user("depot"))

    _moved(world.patient, old, new, make_user("admin"))

    order = db.session.get(Order, placed.order.id, populate_existing=True)
    assert (order.ship_to_name, order.ship_to_street) == (old.name, "Södra vägen 1")


def test_a_warranty_replacement_waits_at_the_clinic_when_the_address_is_a_box():
    """A pump sent home; the address on record since is a box (saved before the
    record refused them): the aids centre could not order the replacement at
    all ("Hjälpmedel levereras inte till boxadress"), though a pump under
    warranty must be replaced. It now waits at the clinic caring for the
    patient, as no aid goes to a box."""
    from sesamlike.fulfilment import returns

    world, sent = _pump_delivered_at_the_clinic()  # then as if sent home
    sent.delivery_mode = "home"
    home = sent.patient.home_address()
    sent.ship_to_street = home.street
    home.street = "Box 77"  # an older record, as the import once stored it
    db.session.commit()
    device = returns.return_device(world.clerk, "P-1", "faulty", region_today())

    replacement = returns.replace_device(world.clerk, device.id)

    assert replacement.delivery_mode == "clinic"
    assert (replacement.ship_to_name, replacement.ship_to_street) == (
        world.clinic.name,
        world.clinic.street,
    )
    assert [line.replaces_line_id for line in replacement.lines] == [sent.lines[0].id]


def test_no_warranty_replacement_goes_out_after_the_patients_care_ended():
    """The pump of a patient who died comes back faulty within its warranty:
    the aids centre could order its replacement, a new pump on its way to
    the home of the deceased (or of a patient who moved out of the region).
    Refused, nothing written."""
    import pytest

    from sesamlike.common.errors import DomainError
    from sesamlike.fulfilment import returns
    from sesamlike.orders.models import Order
    from sesamlike.patients import care_end

    world, sent = _pump_delivered_at_the_clinic()
    patient_id = sent.patient_id
    care_end.end_care(world.prescriber, patient_id, "deceased", region_today())
    device = returns.return_device(world.clerk, "P-1", "faulty", region_today())

    with pytest.raises(DomainError) as refused:
        returns.replace_device(world.clerk, device.id)

    assert refused.value.code == "care_ended"
    db.session.expire_all()
    assert db.session.query(Order).filter_by(patient_id=patient_id).count() == 1


def test_no_swap_at_the_counter_is_registered_after_the_patients_care_ended():
    """As a replacement sent out (above): a pump swapped after the day the
    patient moved out of the region lent the region's new pump to them.
    Refused; a swap made before that day and registered late stands."""
    from datetime import timedelta

    import pytest

    from sesamlike.common.errors import DomainError
    from sesamlike.fulfilment import swaps
    from sesamlike.patients import care_end
    from sesamlike.stock.models import Device

    world, sent = _pump_delivered_at_the_clinic()
    three_days_ago = region_today() - timedelta(days=3)
    sent.lines[0].delivered_on = three_days_ago
    db.session.query(Device).filter_by(serial_no="P-1").one().lent_on = three_days_ago
    db.session.commit()
    moved_on = region_today() - timedelta(days=1)
    care_end.end_care(world.prescriber, sent.patient_id, "moved_out", moved_on)

    with pytest.raises(DomainError) as refused:
        swaps.swap_device(world.clerk, "P-1", "P-2", region_today())
    assert refused.value.code == "care_ended"

    swapped = swaps.swap_device(world.clerk, "P-1", "P-2", moved_on)
    assert swapped.serial_no == "P-2"
