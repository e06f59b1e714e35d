"""The aids centre's flows: receive, reserve, pick FEFO, ship, deliver, take back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.errors import Forbidden, Invalid
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import returns, shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order, OrderLine, Shipment
from sesamlike.stock import errors, ledger, picking, replenishment, reservations
from sesamlike.stock.models import Device, PurchaseProposal, StockLot, StockMovement
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
    make_pump,
    place_order_for,
)

TODAY = region_today()


@pytest.fixture
def world():
    return make_depot_world()


def order(world, article, packs=1, patient=None, mode="home"):
    return place_order_for(
        world.prescriber, article, packs, patient=patient, mode=mode, lock_days=0
    )


def receive(world, article, packs, **kw):
    if not kw.get("serials"):
        kw.setdefault("lot", "L0")  # a consumable comes in by its lot
    return shipping.receive_stock(
        world.clerk, world.depot.code, article.article_no, packs, **kw
    )


def line_status(line_id):
    return db.session.get(OrderLine, line_id, populate_existing=True).status


def pump(**kw):
    return make_pump(pack_size=1, **kw)


def test_receipt_books_the_ledger_and_on_hand_matches_it(world):
    article = make_article()
    receive(world, article, 5, lot="A1", expiry=TODAY + timedelta(days=90), bin="B-1")
    receive(world, article, 3, lot="A1")
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "A1"))
    assert (lot.on_hand, lot.bin, lot.expiry) == (8, "B-1", TODAY + timedelta(90))
    assert ledger.ledger_mismatches() == []
    level = reservations.stock_level(article.id, world.depot.id)
    assert (level.on_hand, level.reserved, level.available) == (8, 0, 8)


def test_ledger_check_finds_on_hand_changed_outside_the_ledger(world):
    article = make_article()
    receipt = receive(world, article, 5, lot="X")
    db.session.execute(sa.update(StockLot).values(on_hand=7))
    db.session.commit()
    assert ledger.ledger_mismatches() == [(receipt.lot.id, 7, 5)]


def test_only_the_depot_role_receives(world):
    with pytest.raises(Forbidden):
        shipping.receive_stock(world.prescriber, "HMC", make_article().article_no, 1)


def test_serial_tracked_receipt_needs_one_serial_per_pack(world):
    article = pump()
    with pytest.raises(errors.SerialsRequired):
        receive(world, article, 2, serials=["S1"])
    receive(world, article, 2, serials=["S1", "S2"])
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 2
    with pytest.raises(errors.DuplicateSerial):
        receive(world, article, 1, serials=["S1"])


def test_pick_list_is_first_expiry_first_out_and_skips_expired_and_quarantined(
    world,
):
    article = make_article()
    receive(world, article, 2, lot="LATE", expiry=TODAY + timedelta(days=300))
    receive(world, article, 2, lot="NOEXP")
    receive(world, article, 1, lot="EARLY", expiry=TODAY + timedelta(days=10), bin="A")
    receive(world, article, 9, lot="OLD", expiry=TODAY + timedelta(days=1))
    receive(world, article, 9, lot="SPÄRR", expiry=TODAY + timedelta(days=2))
    db.session.execute(
        sa.update(StockLot).where(StockLot.lot == "SPÄRR").values(quarantined=True)
    )
    db.session.commit()
    placed = order(world, article, packs=4)
    # "OLD" expires tomorrow: expired by the time the picker gets to it.
    rows = picking.pick_list(world.depot.id, today=TODAY + timedelta(days=5))
    assert [(r.lot.lot, r.packs) for r in rows] == [
        ("EARLY", 1),
        ("LATE", 2),
        ("NOEXP", 1),
    ]
    assert rows[0].lot.bin == "A"
    assert rows[0].reference == placed.lines[0].reference
    picking.pick(placed.lines[0].reference, today=TODAY + timedelta(days=5))
    left = dict(db.session.execute(sa.select(StockLot.lot, StockLot.on_hand)).all())
    assert left == {"LATE": 0, "NOEXP": 1, "EARLY": 0, "OLD": 9, "SPÄRR": 9}
    assert ledger.ledger_mismatches() == []


def test_expired_lots_are_never_picked_even_when_reserved_earlier(world):
    article = make_article()
    receive(world, article, 3, lot="SOON", expiry=TODAY)
    placed = order(world, article, packs=3)
    assert placed.lines[0].status == "reserved"
    with pytest.raises(errors.InsufficientStock):
        shipping.ship_order(world.clerk, placed.id, today=TODAY + timedelta(days=1))
    on_hand = sa.select(StockLot.on_hand).where(StockLot.lot == "SOON")
    assert db.session.scalar(on_hand) == 3


def test_backorders_fill_in_order_of_placement_when_stock_arrives(world):
    article = make_article()
    first, second, third = (order(world, article, packs=p) for p in (2, 1, 1))
    assert [o.lines[0].status for o in (first, second, third)] == ["backordered"] * 3
    receipt = receive(world, article, 2)
    assert receipt.filled == [first.lines[0].reference]
    assert [line_status(o.lines[0].id) for o in (first, second, third)] == [
        "reserved",
        "backordered",
        "backordered",
    ]
    receive(world, article, 1)
    assert line_status(second.lines[0].id) == "reserved"
    assert line_status(third.lines[0].id) == "backordered"
    assert reservations.stock_level(article.id).available == 0


def test_a_large_early_backorder_is_not_skipped_for_later_small_ones(world):
    article = make_article()
    big = order(world, article, packs=3)
    small = order(world, article, packs=1)
    receive(world, article, 2)
    assert line_status(big.lines[0].id) == "backordered"
    assert line_status(small.lines[0].id) == "backordered"
    receive(world, article, 2)
    assert line_status(big.lines[0].id) == "reserved"
    assert line_status(small.lines[0].id) == "reserved"


def test_partial_shipment_ships_some_lines_now_and_the_rest_later(world):
    in_stock, short = make_article(), make_article()
    receive(world, in_stock, 5)
    patient = make_patient(world.clinic)
    rx1 = make_prescription(patient, in_stock, lock_days=0)
    rx2 = make_prescription(patient, short, lock_days=0)
    placed = ordering.place_order(
        world.prescriber, patient.id, [(rx1.id, 1), (rx2.id, 1)], "home"
    ).order
    shipped = shipping.ship_order(world.clerk, placed.id, tracking_ref="PKG1")
    assert [line.status for line in shipped.lines] == ["shipped", "backordered"]
    receive(world, short, 1)
    shipped = shipping.ship_order(world.clerk, placed.id, tracking_ref="PKG2")
    assert [line.status for line in shipped.lines] == ["shipped", "shipped"]
    refs = db.session.scalars(sa.select(Shipment.tracking_ref).order_by(Shipment.id))
    assert list(refs) == ["PKG1", "PKG2"]
    assert len({line.shipment_id for line in shipped.lines}) == 2
    with pytest.raises(shipping.AlreadyShipped):
        shipping.ship_order(world.clerk, placed.id)
    assert ledger.ledger_mismatches() == []


def test_shipping_a_device_records_serials_and_lends_it_to_the_patient(world):
    article = pump()
    receive(world, article, 2, serials=["P-1", "P-2"], lot="")
    placed = order(world, article, mode="clinic")
    line = placed.lines[0]
    with pytest.raises(Invalid):
        shipping.ship_order(world.clerk, placed.id)
    shipping.ship_order(
        world.clerk, placed.id, serials={line.id: ["P-2"]}, today=date(2026, 2, 1)
    )
    device = db.session.scalar(sa.select(Device).where(Device.serial_no == "P-2"))
    assert device.status == "on_loan"
    assert device.patient_id == placed.patient_id
    assert (device.lent_on, device.warranty_end) == (
        date(2026, 2, 1),
        date(2030, 1, 31),
    )
    assert db.session.get(OrderLine, line.id).serial_no == "P-2"
    assert reservations.stock_level(article.id).on_hand == 1
    shipping.deliver_order(
        world.clerk, placed.id, date(2026, 2, 3), today=date(2026, 2, 3)
    )
    db.session.refresh(device)
    assert (device.lent_on, device.warranty_end) == (date(2026, 2, 3), date(2030, 2, 2))


def test_delivery_sets_delivered_on_and_refuses_twice(world):
    article = make_article()
    receive(world, article, 1)
    placed = order(world, article)
    with pytest.raises(shipping.NotShipped):
        shipping.deliver_order(world.clerk, placed.id, TODAY)
    shipping.ship_order(world.clerk, placed.id)
    with pytest.raises(Invalid):
        shipping.deliver_order(world.clerk, placed.id, TODAY + timedelta(days=1))
    delivered = shipping.deliver_order(world.clerk, placed.id, TODAY)
    assert [(x.status, x.delivered_on) for x in delivered.lines] == [
        ("delivered", TODAY)
    ]
    with pytest.raises(shipping.AlreadyDelivered):
        shipping.deliver_order(world.clerk, placed.id, TODAY)


def lent_pump(world, serial="P-9", days_ago=30):
    article = pump()
    receive(world, article, 1, serials=[serial])
    placed = order(world, article, mode="clinic")
    day = TODAY - timedelta(days=days_ago)
    shipping.ship_order(
        world.clerk, placed.id, serials={placed.lines[0].id: [serial]}, today=day
    )
    shipping.deliver_order(world.clerk, placed.id, day, today=day)
    return article, placed


def test_returned_device_goes_to_quarantine_and_its_line_is_returned(world):
    article, placed = lent_pump(world)
    device = returns.return_device(world.clerk, "P-9", "therapy_ended", TODAY)
    assert (device.status, device.returned_on) == ("quarantine", TODAY)
    assert line_status(placed.lines[0].id) == "returned"
    assert db.session.get(OrderLine, placed.lines[0].id).returned_on == TODAY
    level = reservations.stock_level(article.id)
    assert (level.on_hand, level.unusable) == (0, 1)
    assert ledger.ledger_mismatches() == []


def test_reconditioned_device_is_back_in_stock_and_fills_a_backorder(world):
    article, _ = lent_pump(world)
    device = returns.return_device(world.clerk, "P-9", "replaced", TODAY)
    waiting = order(world, article, mode="clinic")
    assert waiting.lines[0].status == "backordered"
    returns.recondition_device(world.clerk, device.id)
    db.session.refresh(device)
    assert (device.status, device.patient_id) == ("in_stock", None)
    assert line_status(waiting.lines[0].id) == "reserved"
    assert ledger.ledger_mismatches() == []


def test_a_device_returned_faulty_is_never_reconditioned(world):
    """It goes back to the supplier or is scrapped: never lent again from here."""
    article, _ = lent_pump(world)
    device = returns.return_device(world.clerk, "P-9", "faulty", TODAY)
    with pytest.raises(errors.FaultyDeviceNotRestocked):
        returns.recondition_device(world.clerk, device.id)
    db.session.refresh(device)
    assert device.status == "quarantine"
    level = reservations.stock_level(article.id)
    assert (level.on_hand, level.unusable) == (0, 1)


def test_scrapped_device_leaves_the_books(world):
    article, _ = lent_pump(world)
    device = returns.return_device(world.clerk, "P-9", "faulty", TODAY)
    returns.scrap_device(world.clerk, device.id)
    db.session.refresh(device)
    assert device.status == "scrapped"
    assert reservations.stock_level(article.id).unusable == 0
    kinds = db.session.scalars(sa.select(StockMovement.kind).order_by(StockMovement.id))
    assert list(kinds)[-1] == "scrap"
    assert ledger.ledger_mismatches() == []


def test_faulty_device_within_warranty_gets_a_linked_replacement_without_withdrawal(
    world,
):
    article, placed = lent_pump(world)
    rx = db.session.get(OrderLine, placed.lines[0].id).prescription
    used = rx.withdrawals_used
    device = returns.return_device(world.clerk, "P-9", "faulty", TODAY)
    receive(world, article, 1, serials=["P-10"])
    replacement = returns.replace_device(world.clerk, device.id)
    new = replacement.lines[0]
    assert new.replaces_line_id == placed.lines[0].id
    assert (new.status, new.prescription_id, new.pack_price_sek) == (
        "reserved",
        None,
        0,
    )
    db.session.refresh(rx)
    assert rx.withdrawals_used == used
    with pytest.raises(returns.AlreadyReplaced):
        returns.replace_device(world.clerk, device.id)


def test_a_warranty_replacement_keeps_the_first_devices_warranty_end(world):
    article, placed = lent_pump(world, days_ago=30)
    first_end = db.session.scalar(
        sa.select(Device.warranty_end).where(Device.serial_no == "P-9")
    )
    device = returns.return_device(world.clerk, "P-9", "faulty", TODAY)
    receive(world, article, 1, serials=["P-10"])
    replacement = returns.replace_device(world.clerk, device.id)
    line = replacement.lines[0]
    shipping.ship_order(world.clerk, replacement.id, serials={line.id: ["P-10"]})
    shipping.deliver_order(world.clerk, replacement.id, TODAY)

    new = db.session.scalar(sa.select(Device).where(Device.serial_no == "P-10"))
    assert (new.status, new.warranty_end) == ("on_loan", first_end)
    assert db.session.get(OrderLine, line.id).amortised_line_id == placed.lines[0].id


@pytest.mark.parametrize("mode", ["clinic", "home"])
def test_a_replacement_for_a_device_from_imported_history_has_an_address(world, mode):
    """The walkthrough: a pump lent before the region moved to this system
    (imported history: no address kept on its order) was replaced under
    warranty, and the pack page said "Ingen adress" for an order to the clinic."""
    article, placed = lent_pump(world)
    old = db.session.get(Order, placed.id)
    old.delivery_mode = mode
    clinic = old.lines[0].prescription.clinic
    clinic.street, clinic.postal_code, clinic.city = (
        "Sjukhusvägen 1",
        "87140",
        "Norrstad",
    )
    for column in ("ship_to_name", "ship_to_street", "ship_to_postal_code",
                   "ship_to_city", "ship_to_door_code"):  # fmt: skip
        setattr(old, column, None)
    db.session.commit()
    device = returns.return_device(world.clerk, "P-9", "faulty", TODAY)
    receive(world, article, 1, serials=["P-10"])
    replacement = returns.replace_device(world.clerk, device.id)
    if mode == "clinic":
        expected = (clinic.name, clinic.street, clinic.city)
    else:
        address = old.patient.delivery_address_on(TODAY)
        expected = (old.patient.full_name, address.street, address.city)
    assert expected[1]
    got = (replacement.ship_to_name, replacement.ship_to_street,
           replacement.ship_to_city)  # fmt: skip
    assert got == expected


def test_device_returned_for_another_reason_gets_no_warranty_replacement(world):
    _, _ = lent_pump(world)
    device = returns.return_device(world.clerk, "P-9", "therapy_ended", TODAY)
    with pytest.raises(returns.NotUnderWarranty):
        returns.replace_device(world.clerk, device.id)


def delivered_consumable(world, days_ago):
    article = make_article()
    receive(world, article, 3, lot="R1")
    placed = order(world, article, packs=2)
    day = TODAY - timedelta(days=days_ago)
    shipping.ship_order(world.clerk, placed.id, today=day)
    db.session.execute(sa.update(OrderLine).values(shipped_at=None))
    db.session.commit()
    shipping.deliver_order(world.clerk, placed.id, day, today=day)
    return article, placed.lines[0]


def test_unused_consumables_returned_within_14_days_go_back_to_stock(world):
    article, line = delivered_consumable(world, days_ago=14)
    returns.return_consumables(world.clerk, line.id, TODAY)
    assert line_status(line.id) == "returned"
    assert reservations.stock_level(article.id).on_hand == 3
    kinds = db.session.scalars(sa.select(StockMovement.kind).order_by(StockMovement.id))
    assert list(kinds)[-1] == "return"
    assert ledger.ledger_mismatches() == []


def test_consumables_returned_after_14_days_are_refused(world):
    article, line = delivered_consumable(world, days_ago=15)
    with pytest.raises(returns.ReturnWindowClosed):
        returns.return_consumables(world.clerk, line.id, TODAY)
    assert line_status(line.id) == "delivered"
    assert reservations.stock_level(article.id).on_hand == 1


def test_cycle_count_books_the_difference_as_an_adjustment_with_a_reason(world):
    article = make_article()
    receipt = receive(world, article, 10, lot="C1")
    with pytest.raises(errors.ReasonCodeRequired):
        returns.count_lot(world.clerk, receipt.lot.id, 8, None)
    lot, difference = returns.count_lot(world.clerk, receipt.lot.id, 8, "damaged")
    assert (lot.on_hand, difference) == (8, -2)
    movement = db.session.scalars(
        sa.select(StockMovement).order_by(StockMovement.id.desc())
    ).first()
    assert (movement.kind, movement.packs, movement.reason_code) == (
        "adjustment",
        -2,
        "damaged",
    )
    _, same = returns.count_lot(world.clerk, receipt.lot.id, 8, None)
    assert same == 0
    assert ledger.ledger_mismatches() == []


def test_a_serial_tracked_article_is_never_counted_by_quantity(world):
    """Packs counted into a lot of devices have no serial: stock says they
    are there, orders reserve them, and nobody can pack them."""
    article = pump()
    receipt = receive(world, article, 3, serials=["S1", "S2", "S3"])
    for counted in (5, 3, 2):
        with pytest.raises(errors.CountedBySerial):
            returns.count_lot(world.clerk, receipt.lot.id, counted, "found")
    assert reservations.stock_level(article.id).on_hand == 3
    assert ledger.ledger_mismatches() == []


def test_a_counted_surplus_fills_a_backorder(world):
    article = make_article()
    receipt = receive(world, article, 1, lot="C2")
    order(world, article)
    waiting = order(world, article)
    assert waiting.lines[0].status == "backordered"
    returns.count_lot(world.clerk, receipt.lot.id, 2, "found")
    assert line_status(waiting.lines[0].id) == "reserved"


def test_an_order_cancelled_after_picking_puts_the_packs_back(world):
    article = make_article()
    receive(world, article, 3, lot="P1")
    placed = order(world, article, packs=2)
    shipping.pick_order(world.clerk, placed.id)
    assert reservations.stock_level(article.id).on_hand == 1
    ordering.cancel_order(world.prescriber, placed.id)
    level = reservations.stock_level(article.id)
    assert (level.on_hand, level.reserved, level.available) == (3, 0, 3)
    assert ledger.ledger_mismatches() == []


def test_cancelling_a_reserved_order_fills_the_backorder_waiting_for_its_packs(world):
    """The freed packs went back on the shelf while the next order still said
    "restnoterad" until the next receipt or return."""
    article = make_article()
    receive(world, article, 2)
    first = order(world, article, packs=2)
    waiting = order(world, article, packs=2)
    assert line_status(waiting.lines[0].id) == "backordered"
    ordering.cancel_order(world.prescriber, first.id)
    assert line_status(waiting.lines[0].id) == "reserved"
    level = reservations.stock_level(article.id)
    assert (level.on_hand, level.reserved, level.available) == (2, 2, 0)
    assert ledger.ledger_mismatches() == []


def open_proposals(article):
    return db.session.scalars(
        sa.select(PurchaseProposal.packs).where(
            PurchaseProposal.article_id == article.id,
            PurchaseProposal.status == "open",
        )
    ).all()


def test_a_receipt_that_covers_a_backorders_proposal_closes_it_at_once(world):
    """The walkthrough: a t:slim backorder, its proposal, one pump received:
    the backorder was filled, yet the proposal stayed open ("Disponibelt -1,
    Föreslaget 1") until someone pressed "Kontrollera lagret nu", and a
    clerk could have ordered a second pump."""
    article = pump()
    placed = order(world, article, mode="clinic")
    replenishment.check_low_stock(TODAY)
    assert open_proposals(article) == [1]

    receive(world, article, 1, serials=["P-1"])

    assert line_status(placed.lines[0].id) == "reserved"
    assert open_proposals(article) == []


def test_a_cancelled_backorder_closes_its_proposal_at_once(world):
    article = make_article()
    placed = order(world, article, packs=2)
    replenishment.check_low_stock(TODAY)
    assert open_proposals(article) == [2]

    ordering.cancel_order(world.prescriber, placed.id)

    assert open_proposals(article) == []


def test_a_receipt_above_the_reorder_point_closes_its_open_proposal(world):
    article = make_article()
    replenishment.set_reorder_point(None, world.depot.code, article.article_no, 5, 20)
    replenishment.check_low_stock(TODAY)
    assert open_proposals(article) == [20]

    receive(world, article, 8)

    assert open_proposals(article) == []


def test_a_receipt_short_of_a_proposal_leaves_what_is_still_missing(world):
    article = make_article()
    order(world, article, packs=5)
    replenishment.check_low_stock(TODAY)

    receive(world, article, 2)

    assert open_proposals(article) == [3]
