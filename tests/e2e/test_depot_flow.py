"""A depot clerk's day, end to end in a real browser.

An order waits backordered; the clerk pastes a GS1 string on the receipt page,
presses Tolka (the server fills article, lot and expiry), registers the receipt
(which reserves the waiting order), picks and ships the order with a tracking
reference, and confirms its delivery.

Issue 18: packing waits for picking; a device's serial is chosen from those on
the shelf; a patient brings back some of the packs, found by order number.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import Device, StockLot
from tests.e2e.test_login import log_in
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
    make_pump,
    make_stock_lot,
    place_order_for,
)

pytestmark = pytest.mark.e2e

GS1 = "(01)07312345678906(17)271231(10)LOT42"


def test_clerk_receives_by_gs1_picks_ships_and_confirms_delivery(page):
    world = make_depot_world(clerk="e2e-lager", name="Hjälpmedelscentralen")
    article = make_article("QS9", name="Quick-set 9 mm", gtin="7312345678906")
    order = place_order_for(world.prescriber, article, packs=2)
    order_id, line_id = order.id, order.lines[0].id
    assert order.lines[0].status == "backordered"

    log_in(page, "e2e-lager")
    page.get_by_role("link", name="Lager").first.click()
    page.get_by_role("link", name="Inleverans").click()
    page.get_by_label("Streckkod (GS1 DataMatrix eller GS1-128)").fill(GS1)
    page.get_by_role("button", name="Tolka").click()
    assert page.get_by_label("Artikelnummer").input_value() == "QS9"
    assert page.get_by_label("Batch/parti").input_value() == "LOT42"
    assert page.get_by_label("Utgångsdatum").input_value() == "2027-12-31"
    page.get_by_label("Antal förpackningar").fill("5")
    page.get_by_label("Lagerplats").fill("A-12")
    page.get_by_role("button", name="Registrera inleverans").click()
    page.get_by_text(
        "1 restnoterad beställningsrad är nu reserverad och kan plockas."
    ).wait_for()

    page.get_by_role("link", name="Plocklista").click()
    row = page.get_by_role("row", name="QS9 Quick-set 9 mm")
    assert "LOT42" in row.inner_text() and "A-12" in row.inner_text()
    page.get_by_role("button", name="Markera plockad").click()
    page.get_by_text(f"Beställning {order_id} är plockad").wait_for()

    page.get_by_label("Sändnings-id (kollinummer)").fill("RR123456789SE")
    page.get_by_role("button", name="Skicka").click()
    page.get_by_text(f"Beställning {order_id} är skickad").wait_for()

    page.get_by_role("link", name="Leveranser att bekräfta").click()
    page.get_by_text("RR123456789SE").wait_for()
    page.get_by_role(
        "button", name=f"Bekräfta leverans av beställning {order_id}"
    ).click()
    page.get_by_text(f"Beställning {order_id} är levererad").wait_for()

    db.session.expire_all()
    line = db.session.get(OrderLine, line_id)
    assert (line.status, line.delivered_on) == ("delivered", region_today())
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "LOT42"))
    assert lot.on_hand == 3


def test_clerk_picks_packs_a_serial_from_the_shelf_and_takes_back_some_packs(page):
    world = make_depot_world(clerk="e2e-lager", name="Hjälpmedelscentralen")
    sets = make_article("QS9", name="Quick-set 9 mm")
    pump = make_pump("PUMP-Y", name="Pump Y")
    shipping.receive_stock(world.clerk, "HMC", "QS9", 5, lot="P-7")
    shipping.receive_stock(
        world.clerk, "HMC", "PUMP-Y", 2, serials=["SN-100", "SN-200"]
    )
    patient = make_patient(
        world.prescriber.clinics[0], first_name="Maria", last_name="Ek"
    )
    prescriptions = [
        make_prescription(patient, sets, packs_per_withdrawal=3, lock_days=0),
        make_prescription(patient, pump, packs_per_withdrawal=1, lock_days=0),
    ]
    order = ordering.place_order(
        world.prescriber,
        patient.id,
        [(prescriptions[0].id, 3), (prescriptions[1].id, 1)],
        "clinic",
    ).order
    order_id = order.id
    sets_line = next(line.id for line in order.lines if line.article_id == sets.id)

    log_in(page, "e2e-lager")
    page.get_by_role("link", name="Lager").first.click()
    page.get_by_role("link", name="Packa och skicka").click()
    page.get_by_role("link", name=f"Packa beställning {order_id}").click()
    page.get_by_text("Inte plockad", exact=True).wait_for()
    page.get_by_role("button", name="Skicka").click()
    page.get_by_text(
        f"Beställning {order_id} är inte plockad (Quick-set 9 mm)"
    ).wait_for()

    page.get_by_role("link", name="Till plocklistan").click()
    page.get_by_role("button", name="Markera plockad").click()
    page.get_by_text(f"Beställning {order_id} är plockad").wait_for()
    serial = page.get_by_label("Serienummer för Pump Y")
    assert serial.locator("option").all_inner_texts() == [
        "Välj serienummer",
        "SN-100",
        "SN-200",
    ]
    serial.select_option("SN-200")
    page.get_by_role("button", name="Skicka").click()
    page.get_by_text(f"Beställning {order_id} är skickad").wait_for()
    db.session.expire_all()
    device = db.session.scalar(sa.select(Device).where(Device.serial_no == "SN-200"))
    assert (device.status, device.patient_id) == ("on_loan", patient.id)

    shipping.deliver_order(world.clerk, order_id, region_today())
    page.get_by_role("link", name="Returer").click()
    page.get_by_label("Beställning, patientens namn eller serienummer").fill(
        str(order_id)
    )
    page.get_by_role("button", name="Sök").click()
    page.get_by_text("Maria Ek").wait_for()
    page.get_by_label("Antal förpackningar tillbaka (högst 3)").fill("2")
    page.get_by_label("Tillbaka i lager").check()
    page.get_by_role("button", name="Registrera retur av Quick-set 9 mm").click()
    page.get_by_text(
        f"Quick-set 9 mm, beställning {order_id}: 2 förp. tillbaka i lager."
    ).wait_for()

    db.session.expire_all()
    line = db.session.get(OrderLine, sets_line)
    assert (line.status, line.packs_returned, line.packs_restocked) == (
        "delivered",
        2,
        2,
    )
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "P-7"))
    assert lot.on_hand == 4


def test_pick_list_and_packing_list_fit_a_phone_without_sideways_scrolling(
    mobile_page, screenshot
):
    world = make_depot_world(clerk="e2e-lager", name="Hjälpmedelscentralen")
    article = make_article("QS9", name="Quick-set infusionsset 9 mm/60 cm")
    make_stock_lot(article, world.depot, on_hand=5, lot="L2026-0412", bin="A-12-03",
                   expiry=region_today().replace(year=2030))  # fmt: skip
    place_order_for(world.prescriber, article, packs=2)
    page = mobile_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "e2e-lager")
    for path, name in (("/stock/picking", "pick-list"), ("/stock/packing", "packing")):
        page.goto(path)
        screenshot(page, name)
        widths = page.evaluate(
            "() => [...document.querySelectorAll('.table-wrap, html')]"
            ".map(e => [e.scrollWidth, e.clientWidth])"
        )
        assert all(scroll <= client for scroll, client in widths), (path, widths)
