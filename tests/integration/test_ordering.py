"""Placing, reading and cancelling orders against prescriptions (services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import Forbidden, Invalid, NotVisible
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_day_of, region_today
from sesamlike.extensions import db
from sesamlike.orders import errors
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Address
from sesamlike.prescriptions import errors as prescription_errors
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock import reservations
from sesamlike.stock.models import Reservation, StockMovement
from tests.factories import (
    make_article,
    make_clinic,
    make_depot,
    make_patient,
    make_prescribed,
    make_prescription,
    make_stock_lot,
    make_user,
)

TODAY = region_today()
COUNTED = (Order, OrderLine, Reservation, StockMovement, AuditEvent, OutgoingMail)


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(
            sa.select(sa.func.count()).select_from(model)
        )
        for model in COUNTED
    }


@pytest.fixture
def world():
    clinic = make_clinic(
        "OWN",
        name="Diabetesmottagningen Sahlgrenska",
        street="Blå stråket 5",
        postal_code="41345",
        city="Göteborg",
    )
    infusion = make_article("INF-1", pack_price_sek=Decimal("812.50"))
    return make_prescribed(
        clinic, infusion, depot=make_depot("HMC"), on_hand=5, packs_per_withdrawal=3
    )


def place(w, lines=None, **kw):
    lines = lines if lines is not None else [(w.rx.id, 2)]
    return ordering.place_order(w.prescriber, w.patient.id, lines, **kw)


def refused_without_writing(w, error_class, lines=None, **kw):
    before = counts()
    rx_before = (w.rx.withdrawals_used, w.rx.last_withdrawal_on)
    with pytest.raises(error_class) as caught:
        place(w, lines, **kw)
    # Nothing written but the read of the patient the refusal tells of.
    assert counts() == before | {"audit_events": before["audit_events"] + 1}
    last = db.session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
    ).one()
    assert (last.action, last.patient_id) == ("read", w.patient.id)
    db.session.refresh(w.rx)
    assert (w.rx.withdrawals_used, w.rx.last_withdrawal_on) == rx_before
    return caught.value


def test_central_line_with_stock_is_reserved_and_withdrawal_consumed(world):
    placed = place(world, delivery_mode="home")
    order = placed.order
    assert placed.created
    [line] = order.lines
    assert (line.status, line.channel, line.packs) == ("reserved", "central", 2)
    assert line.pack_price_sek == Decimal("812.50") and line.vat_rate == Decimal("0.25")
    db.session.refresh(world.rx)
    assert world.rx.withdrawals_used == 1
    assert world.rx.last_withdrawal_on == TODAY
    [held] = db.session.scalars(sa.select(Reservation)).all()
    assert (held.reference, held.packs, held.status) == (line.reference, 2, "active")
    [movement] = db.session.scalars(sa.select(StockMovement)).all()
    assert (movement.kind, movement.packs, movement.reference) == (
        "reservation",
        2,
        line.reference,
    )
    assert reservations.available(world.article.id) == 3


def test_a_placed_order_tells_the_patient_each_line_and_the_order_number(world):
    """The order's row and its lines go in as Core INSERTs: the mail, written
    before the lines, still names every line, and the stock rows name the
    lines that went in."""
    world.patient.email = "anna@example.se"
    sensors = make_article("SEN-1", name="Dexcom G7 sensor", channel="supplier")
    rx_sensors = make_prescription(world.patient, sensors, world.prescriber)
    db.session.commit()

    placed = place(world, [(rx_sensors.id, 1), (world.rx.id, 2)])

    [mail] = db.session.scalars(sa.select(OutgoingMail)).all()
    assert mail.to_address == "anna@example.se"
    assert mail.subject == f"Vi har tagit emot beställning {placed.order_id}"
    assert "- 1 förp. Dexcom G7 sensor" in mail.body
    assert f"- 2 förp. {world.article.name}" in mail.body
    assert f"/portal/orders/{placed.order_id}" in mail.body
    by_article = {line.article_id: line for line in placed.order.lines}
    assert (by_article[sensors.id].status, by_article[sensors.id].packs) == (
        "sent_to_supplier", 1)  # fmt: skip
    central = by_article[world.article.id]
    assert (central.status, central.packs) == ("reserved", 2)
    assert {line.patient_id for line in placed.order.lines} == {world.patient.id}
    [reservation] = db.session.scalars(sa.select(Reservation)).all()
    assert (reservation.reference, reservation.packs) == (central.reference, 2)


def test_each_central_line_reserves_under_its_own_reference(world):
    """Three lines, the central ones out of article order and not first:
    each reservation names the line of its article (the lines' ids come
    back in the order the lines were given)."""
    low = world.article  # made first: the lower article id
    high = make_article("INF-2")
    make_stock_lot(high, world.lot.depot, on_hand=5)
    rx_high = make_prescription(world.patient, high, world.prescriber)
    supplier = make_article("SEN-1", channel="supplier")
    rx_supplier = make_prescription(world.patient, supplier, world.prescriber)
    db.session.commit()
    assert low.id < high.id

    placed = place(world, [(rx_high.id, 1), (rx_supplier.id, 1), (world.rx.id, 3)])

    lines = placed.order.lines
    assert [line.article_id for line in lines] == [high.id, supplier.id, low.id]
    assert [line.packs for line in lines] == [1, 1, 3]
    assert [line.status for line in lines] == [
        "reserved", "sent_to_supplier", "reserved"]  # fmt: skip
    held = {
        r.reference: (r.article_id, r.packs)
        for r in db.session.scalars(sa.select(Reservation))
    }
    assert held == {lines[0].reference: (high.id, 1), lines[2].reference: (low.id, 3)}
    assert all(line.updated_at is not None for line in lines)


def test_a_race_lost_after_the_order_went_in_leaves_nothing_and_no_mail(
    world, monkeypatch
):
    """The order's row is in when its withdrawal loses a race to a twin
    request: the refusal takes the row back (its mail, queued after the
    withdrawals, never is), and the next order (on SQLite with the same id
    again) goes in whole, its mail naming it, once."""
    world.patient.email = "anna@example.se"
    db.session.commit()
    before = counts()
    withdraw_all = ordering.withdrawals.withdraw_all
    order_ids = []

    def twin_wins(chosen, today):
        order_ids.append(db.session.scalar(sa.select(sa.func.max(Order.id))))
        rx = Prescription.__table__
        db.session.execute(  # the twin used the last withdrawal meanwhile
            sa.update(rx)
            .where(rx.c.id == world.rx.id)
            .values(withdrawals_used=rx.c.withdrawals)
        )
        return withdraw_all(chosen, today)

    monkeypatch.setattr(ordering.withdrawals, "withdraw_all", twin_wins)
    with pytest.raises(prescription_errors.PrescriptionUsedUp):
        place(world)
    monkeypatch.setattr(ordering.withdrawals, "withdraw_all", withdraw_all)
    assert order_ids[0] is not None  # the row was in when the race was lost
    assert counts() == before | {"audit_events": before["audit_events"] + 1}

    placed = place(world)

    assert placed.created
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    [mail] = db.session.scalars(sa.select(OutgoingMail)).all()
    assert mail.subject == f"Vi har tagit emot beställning {placed.order_id}"
    [line] = placed.order.lines
    assert (line.patient_id, line.status) == (world.patient.id, "reserved")
    [held] = db.session.scalars(sa.select(Reservation)).all()
    assert held.reference == line.reference


def test_later_price_change_does_not_rewrite_the_order(world):
    order = place(world).order
    world.article.pack_price_sek = Decimal("999.00")
    db.session.commit()
    db.session.refresh(order.lines[0])
    assert order.lines[0].pack_price_sek == Decimal("812.50")


def test_central_line_without_enough_stock_is_backordered(world):
    other = make_article("INF-2")
    rx = make_prescription(world.patient, other, packs_per_withdrawal=4)
    make_stock_lot(other, world.depot, on_hand=3)
    [line] = place(world, [(rx.id, 4)]).order.lines
    assert line.status == "backordered"
    [backorder] = db.session.scalars(sa.select(Reservation)).all()
    assert (backorder.status, backorder.packs, backorder.depot_id) == (
        "backordered",
        4,
        world.depot.id,
    )
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == 0
    assert reservations.available(other.id) == 3


@pytest.mark.parametrize(
    ("channel", "status"),
    [("supplier", "sent_to_supplier"), ("pharmacy", "sent_to_pharmacy")],
)
def test_supplier_and_pharmacy_lines_go_out_without_stock(world, channel, status):
    article = make_article(channel=channel)
    rx = make_prescription(world.patient, article)
    [line] = place(world, [(rx.id, 1)], delivery_mode="home").order.lines
    assert (line.channel, line.status) == (channel, status)
    assert db.session.scalar(sa.select(sa.func.count(Reservation.id))) == 0


def test_more_packs_than_one_withdrawal_allows_is_refused(world):
    error = refused_without_writing(
        world, prescription_errors.TooManyPacks, [(world.rx.id, 4)]
    )
    assert error.status == 422
    assert error.params["max_packs"] == 3
    assert error.fields == {"lines.0.packs": ["För många förpackningar."]}


def test_every_refusal_of_an_order_comes_at_once_the_first_naming_it(world):
    """Too many packs, a time lock and a mode the lines do not go by: the
    first refused line named the refusal and the rest were not said."""
    locked = make_prescription(world.patient, make_article("RES-1"))
    locked.withdrawals_used, locked.last_withdrawal_on = 1, TODAY
    db.session.commit()
    error = refused_without_writing(
        world,
        prescription_errors.TooManyPacks,
        [(world.rx.id, 4), (locked.id, 1)],
        delivery_mode="pharmacy",
    )
    assert [type(each) for each in ordering.each_refusal(error)] == [
        prescription_errors.TooManyPacks,
        prescription_errors.TimeLocked,
        errors.DeliveryModeNotAllowed,
    ]
    assert [each.params.get("line") for each in ordering.each_refusal(error)] == [
        0, 1, None,
    ]  # fmt: skip
    assert error.fields == {
        "lines.0.packs": ["För många förpackningar."],
        "delivery_mode": ["Välj ett annat leveranssätt."],
    }


def test_unknown_prescription_and_another_patients_are_refused_alike(world):
    stranger = make_patient(world.clinic)
    theirs = make_prescription(stranger, world.article)
    for pid in (theirs.id, 987654):
        error = refused_without_writing(
            world, errors.UnknownPrescription, [(world.rx.id, 1), (pid, 1)]
        )
        assert error.fields == {"lines.1.prescription_id": ["Okänd förskrivning."]}


def test_no_lines_and_the_same_prescription_twice_are_refused(world):
    refused_without_writing(world, errors.NoOrderLines, [])
    refused_without_writing(
        world, errors.DuplicateOrderLine, [(world.rx.id, 1), (world.rx.id, 1)]
    )


def test_used_up_prescription_is_refused(world):
    world.rx.withdrawals_used = world.rx.withdrawals
    db.session.commit()
    error = refused_without_writing(world, prescription_errors.PrescriptionUsedUp)
    assert error.status == 409


def test_withdrawal_before_the_time_lock_opens_is_refused_with_the_date(world):
    world.rx.withdrawals_used = 1
    world.rx.last_withdrawal_on = TODAY - timedelta(days=10)
    db.session.commit()
    error = refused_without_writing(world, prescription_errors.TimeLocked)
    assert error.status == 409
    assert error.params["opens_on"] == TODAY + timedelta(days=50)


def test_time_lock_opens_on_its_day(world):
    world.rx.withdrawals_used = 1
    world.rx.last_withdrawal_on = TODAY - timedelta(days=60)
    db.session.commit()
    assert place(world).order.lines[0].status == "reserved"


def test_prescription_not_yet_valid_is_time_locked_until_valid_from(world):
    later = make_prescription(
        world.patient, world.article, valid_from=TODAY + timedelta(days=7)
    )
    error = refused_without_writing(
        world, prescription_errors.TimeLocked, [(later.id, 1)]
    )
    assert error.params["opens_on"] == TODAY + timedelta(days=7)


def test_expired_and_cancelled_prescriptions_are_refused(world):
    expired = make_prescription(
        world.patient,
        world.article,
        valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=1),
    )
    cancelled = make_prescription(world.patient, world.article, status="cancelled")
    error = refused_without_writing(
        world, prescription_errors.PrescriptionExpired, [(expired.id, 1)]
    )
    assert error.code == "prescription_not_active"
    assert error.params["valid_to"] == TODAY - timedelta(days=1)
    refused_without_writing(
        world, prescription_errors.PrescriptionCancelled, [(cancelled.id, 1)]
    )


def test_a_refused_line_refuses_the_whole_order(world):
    locked = make_prescription(
        world.patient, world.article, withdrawals_used=1, last_withdrawal_on=TODAY
    )
    error = refused_without_writing(
        world, prescription_errors.TimeLocked, [(world.rx.id, 1), (locked.id, 1)]
    )
    assert error.params["line"] == 1


def test_pharmacy_delivery_is_refused_for_central_articles(world):
    error = refused_without_writing(
        world, errors.DeliveryModeNotAllowed, delivery_mode="pharmacy"
    )
    assert error.params["allowed"] == "home, clinic, pickup"
    assert "delivery_mode" in error.fields


def test_pharmacy_articles_go_to_the_pharmacy_by_default(world):
    sensor = make_article(category="cgm_sensor", channel="pharmacy")
    rx = make_prescription(world.patient, sensor)
    order = place(world, [(rx.id, 1)]).order
    assert order.delivery_mode == "pharmacy"
    assert order.ship_to_street is None


def test_mixed_channels_default_to_home_which_suits_all(world):
    sensor = make_article(channel="pharmacy")
    rx = make_prescription(world.patient, sensor)
    order = place(world, [(world.rx.id, 1), (rx.id, 1)]).order
    assert order.delivery_mode == "home"
    assert [line.status for line in order.lines] == ["reserved", "sent_to_pharmacy"]


def test_home_delivery_snapshots_the_patients_address(world):
    world.patient.addresses.append(
        Address(
            kind="temporary",
            street="Sommarvägen 1",
            postal_code="45296",
            city="Strömstad",
            valid_from=TODAY - timedelta(days=1),
            valid_to=TODAY + timedelta(days=30),
        )
    )
    db.session.commit()
    order = place(world, delivery_mode="home", contact_phone="0701234567").order
    assert (order.ship_to_street, order.ship_to_city) == ("Sommarvägen 1", "Strömstad")
    assert order.ship_to_name == world.patient.full_name
    assert order.contact_phone == "0701234567"


def test_home_address_can_be_overridden_for_one_order(world):
    order = place(
        world, delivery_mode="home", ship_to={"street": "Annan väg 2", "city": "Borås"}
    ).order
    assert (order.ship_to_street, order.ship_to_city) == ("Annan väg 2", "Borås")
    assert order.ship_to_door_code == "1234"


@pytest.mark.parametrize("street", ["Box 12", "c/o Svensson, Box 77", "Postfack 5"])
def test_an_order_to_a_box_address_is_refused_and_writes_nothing(world, street):
    """The review: the portal's form refused a box address, but an order
    through the API or the service with the same street in `ship_to` went
    through, though no aid is delivered to a box (domain.md)."""
    error = refused_without_writing(
        world, Invalid, delivery_mode="home", ship_to={"street": street}
    )
    assert error.fields == {
        "ship_to.street": ["Hjälpmedel levereras inte till boxadress."]
    }


def test_an_order_home_to_a_box_address_on_record_is_refused(world):
    """The review: the street on record was taken unchecked; one saved before
    the record refused "c/o ..., Box 77" would have had the parcel sent there."""
    address = world.patient.home_address()
    address.street = "c/o Svensson, Box 77"
    db.session.commit()
    for mode in ("home", "pickup"):
        error = refused_without_writing(
            world, Invalid, delivery_mode=mode, contact_phone="0701234567"
        )
        assert error.fields == {
            "ship_to.street": ["Hjälpmedel levereras inte till boxadress."]
        }
    assert place(world, delivery_mode="clinic").created  # the clinic's address


def test_clinic_delivery_snapshots_the_clinics_address(world):
    order = place(world, delivery_mode="clinic").order
    assert order.ship_to_name == "Diabetesmottagningen Sahlgrenska"
    assert (order.ship_to_street, order.ship_to_postal_code) == (
        "Blå stråket 5",
        "41345",
    )


def test_protected_identity_forces_clinic_delivery(world):
    world.patient.protected_identity = True
    db.session.commit()
    error = refused_without_writing(
        world, errors.ProtectedIdentityClinicOnly, delivery_mode="home"
    )
    assert error.status == 422
    order = place(world).order
    assert order.delivery_mode == "clinic"
    assert order.ship_to_street == "Blå stråket 5"
    assert order.ship_to_door_code is None and order.contact_phone is None


def test_protected_identity_cannot_mix_clinic_and_pharmacy_lines(world):
    world.patient.protected_identity = True
    sensor = make_article(channel="pharmacy")
    rx = make_prescription(world.patient, sensor)
    refused_without_writing(
        world, errors.MixedDeliveryChannels, [(world.rx.id, 1), (rx.id, 1)]
    )


def test_first_pump_defaults_to_clinic_and_the_next_to_home(world):
    pump = make_article(
        category="pump",
        channel="supplier",
        units_per_day=None,
        amortisation_years=4,
        serial_tracked=True,
    )
    first = make_prescription(world.patient, pump, withdrawals=2, lock_days=0)
    assert place(world, [(first.id, 1)]).order.delivery_mode == "clinic"
    second = place(world, [(first.id, 1)]).order
    assert second.delivery_mode == "home"


@pytest.mark.parametrize("mode", ["home", "pickup"])
@pytest.mark.parametrize("category", ["pump", "cgm_reader"])
def test_first_device_sent_anywhere_but_the_clinic_is_refused(world, category, mode):
    device = make_article(category=category, channel="supplier", name="Pumpen")
    rx = make_prescription(world.patient, device, withdrawals=1)
    error = refused_without_writing(
        world, errors.FirstDeviceToClinic, [(rx.id, 1)], delivery_mode=mode
    )
    assert error.code == "first_device_to_clinic"
    assert "Pumpen är patientens första" in str(error)
    assert "apotek" not in str(error)  # no pharmacy article in this order
    assert list(error.fields) == ["delivery_mode"]
    db.session.refresh(rx)
    assert rx.withdrawals_used == 0
    placed = place(world, [(rx.id, 1)], delivery_mode="clinic").order
    assert placed.delivery_mode == "clinic"


def test_first_pump_with_pharmacy_articles_asks_for_two_orders(world):
    pump = make_article(category="pump", channel="supplier", name="Pumpen")
    sensor = make_article(category="cgm_sensor", channel="pharmacy")
    rx_pump = make_prescription(world.patient, pump, withdrawals=1)
    rx_sensor = make_prescription(world.patient, sensor)
    # Only home delivery suits both channels; the first pump goes to the clinic.
    error = refused_without_writing(
        world, errors.FirstDeviceToClinic, [(rx_pump.id, 1), (rx_sensor.id, 1)]
    )
    assert "egen beställning" in str(error)


def test_a_cancelled_earlier_pump_does_not_count_as_having_one(world):
    pump = make_article(category="cgm_reader", channel="central")
    make_stock_lot(pump, world.depot, on_hand=2)
    rx = make_prescription(world.patient, pump, lock_days=0)
    ordering.cancel_order(world.prescriber, place(world, [(rx.id, 1)]).order.id)
    assert place(world, [(rx.id, 1)]).order.delivery_mode == "clinic"


def test_same_idempotency_key_returns_the_first_order(world):
    world.rx.lock_days = 0
    db.session.commit()
    first = place(world, idempotency_key="abc-1")
    again = place(world, idempotency_key="abc-1")
    assert first.created and not again.created
    assert again.order.id == first.order.id
    db.session.refresh(world.rx)
    assert world.rx.withdrawals_used == 1
    other_user = make_user("prescriber", clinics=[world.clinic])
    theirs = ordering.place_order(
        other_user, world.patient.id, [(world.rx.id, 1)], idempotency_key="abc-1"
    )
    assert theirs.created and theirs.order.id != first.order.id


def test_same_key_after_the_time_lock_closed_still_returns_the_first_order(world):
    first = place(world, idempotency_key="k")
    assert place(world, idempotency_key="k").order.id == first.order.id


def test_only_prescribers_order_in_this_release(world):
    for role in ("manager", "depot", "admin"):
        user = make_user(role, clinics=[world.clinic] if role == "manager" else [])
        with pytest.raises(Forbidden):
            ordering.place_order(user, world.patient.id, [(world.rx.id, 1)])


def test_patient_of_another_clinic_is_not_visible(world):
    outsider = make_user("prescriber", clinics=[make_clinic()])
    before = counts()
    with pytest.raises(NotVisible):
        ordering.place_order(outsider, world.patient.id, [(world.rx.id, 1)])
    assert counts() == before
    order = place(world).order
    with pytest.raises(NotVisible):
        ordering.get_order(outsider, order.id)
    with pytest.raises(NotVisible):
        ordering.cancel_order(outsider, order.id)


def test_placing_and_reading_an_order_is_audited(world):
    order = place(world).order
    ordering.get_order(world.prescriber, order.id)
    rows = db.session.execute(
        sa.select(
            AuditEvent.action, AuditEvent.object_type, AuditEvent.patient_id
        ).order_by(AuditEvent.id)
    ).all()
    pid = world.patient.id
    assert rows == [
        ("order", "patient", pid),
        ("create", "order", pid),
        ("read_order", "patient", pid),
    ]


def test_cancel_releases_stock_and_gives_the_withdrawal_back(world):
    order = place(world).order
    cancelled = ordering.cancel_order(world.prescriber, order.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert [line.status for line in cancelled.lines] == ["cancelled"]
    db.session.refresh(world.rx)
    assert (world.rx.withdrawals_used, world.rx.last_withdrawal_on) == (0, None)
    assert reservations.available(world.article.id) == 5
    kinds = db.session.execute(
        sa.select(StockMovement.kind, StockMovement.packs).order_by(StockMovement.id)
    ).all()
    assert kinds == [("reservation", 2), ("release", -2)]
    assert db.session.scalar(sa.select(Reservation.status)) == "released"
    # The withdrawal can be made again at once.
    assert place(world).order.lines[0].status == "reserved"


def test_cancel_puts_the_time_lock_back_on_the_previous_withdrawal(world):
    world.rx.lock_days = 0
    db.session.commit()
    earlier = place(world).order
    earlier.placed_at = datetime.now(UTC) - timedelta(days=30)
    db.session.commit()
    later = place(world).order
    ordering.cancel_order(world.prescriber, later.id)
    db.session.refresh(world.rx)
    assert world.rx.withdrawals_used == 1
    # The region's day of the earlier order, as a withdrawal dates it (it said
    # the server's, which differs between 23:00 and 24:00 UTC).
    assert world.rx.last_withdrawal_on == region_day_of(earlier.placed_at)


def test_cancel_a_backorder_releases_it_without_ledger_rows(world):
    rx = make_prescription(world.patient, make_article(), packs_per_withdrawal=2)
    order = place(world, [(rx.id, 2)]).order
    ordering.cancel_order(world.prescriber, order.id)
    assert db.session.scalar(sa.select(Reservation.status)) == "released"
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == 0


def test_cancelling_twice_or_after_shipping_is_refused(world):
    order = place(world).order
    ordering.cancel_order(world.prescriber, order.id)
    with pytest.raises(errors.NotCancellable):
        ordering.cancel_order(world.prescriber, order.id)
    shipped = place(world).order
    shipped.lines[0].status = "shipped"
    db.session.commit()
    before = counts()
    with pytest.raises(errors.NotCancellable) as caught:
        ordering.cancel_order(world.prescriber, shipped.id)
    assert caught.value.status == 409
    # Nothing written but the read of the order the refusal tells of.
    assert counts() == before | {"audit_events": before["audit_events"] + 1}
    db.session.refresh(world.rx)
    assert world.rx.withdrawals_used == 1


def test_patient_orders_lists_newest_first(world):
    world.rx.lock_days = 0
    db.session.commit()
    first, second = place(world).order, place(world).order
    patient, orders = ordering.patient_orders(world.prescriber, world.patient.id)
    assert patient.id == world.patient.id
    assert [o.id for o in orders] == [second.id, first.id]


def test_order_options_disable_time_locked_and_used_up_prescriptions(world):
    used = make_prescription(
        world.patient,
        world.article,
        withdrawals=1,
        withdrawals_used=1,
        last_withdrawal_on=TODAY,
    )
    locked = make_prescription(
        world.patient, world.article, withdrawals_used=1, last_withdrawal_on=TODAY
    )
    make_prescription(world.patient, world.article, status="cancelled")
    options = ordering.order_options(world.prescriber, world.patient.id)
    refusals = {c.prescription.id: c.refusal for c in options.choices}
    assert set(refusals) == {world.rx.id, used.id, locked.id}
    assert refusals[world.rx.id] is None
    assert isinstance(refusals[used.id], prescription_errors.PrescriptionUsedUp)
    assert refusals[locked.id].params["opens_on"] == TODAY + timedelta(days=60)
    assert options.default_mode == "home"
    assert options.modes == ["home", "clinic", "pickup"]


def test_prescription_rows_unchanged_by_a_refused_multi_line_order(world):
    other = make_prescription(world.patient, world.article)
    refused_without_writing(
        world, prescription_errors.TooManyPacks, [(other.id, 1), (world.rx.id, 9)]
    )
    db.session.refresh(other)
    assert other.withdrawals_used == 0
    assert db.session.get(Prescription, other.id).last_withdrawal_on is None
