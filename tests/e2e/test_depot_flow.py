"""A depot clerk's day, end to end in a real browser.

An order waits backordered; the clerk pastes a GS1 string on the receipt page,
presses Tolka (the server fills article, lot and expiry), registers the receipt
(which reserves the waiting order), picks and ships the order with a tracking
reference, and confirms its delivery.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import StockLot
from tests.e2e.test_login import log_in
from tests.factories import (
    make_article,
    make_depot_world,
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
    page.get_by_text("Restorder som fick reservation: 1").wait_for()

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
    assert (line.status, line.delivered_on) == ("delivered", date.today())
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "LOT42"))
    assert lot.on_hand == 3
