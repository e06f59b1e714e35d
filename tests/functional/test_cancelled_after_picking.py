"""An order cancelled after its packs were picked: the packing list and the
pack page tell the clerk to put them back, lot and bin, until confirmed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.stock import reservations
from sesamlike.stock.ledger import ledger_mismatches
from sesamlike.stock.models import StockLot, StockMovement
from tests.factories import make_article, make_depot_world, place_order_for


@pytest.fixture
def world(auth):
    world = make_depot_world(clerk="lager")
    world.article = make_article("INF-7", name="Infusionsset X")
    shipping.receive_stock(world.clerk, "HMC", "INF-7", 5, lot="L0", bin="A-3")
    auth.login("lager")
    return world


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def picked_then_cancelled(world):
    order = place_order_for(world.prescriber, world.article, 2, lock_days=0)
    shipping.pick_order(world.clerk, order.id)
    ordering.cancel_order(world.prescriber, order.id)
    return order


def test_a_cancelled_picked_line_tells_the_clerk_to_put_the_packs_back(client, world):
    order = picked_then_cancelled(world)

    for path in ("/stock/packing", f"/stock/orders/{order.id}/pack"):
        page = text_of(client.get(path).get_data(as_text=True))
        assert "Makulerat efter plockning: lägg tillbaka" in page, path
        assert f"Beställning {order.id} INF-7 Infusionsset X Makulerad 2 L0 A-3" in (
            page
        ), path
    # The pack page says the order is cancelled, not that it ships from
    # elsewhere ("Ingen adress: ... skickas inte från hjälpmedelscentralen")
    # with its cancelled lines "to ship now".
    assert "Beställningen är makulerad: inget ska skickas." in page
    assert "Ingen adress" not in page and "Rader att skicka nu" not in page
    # The books count the packs back in their lot, once.
    lot = db.session.scalar(db.select(StockLot).filter_by(lot="L0"))
    assert lot.on_hand == 5
    assert reservations.stock_level(world.article.id).available == 5
    assert ledger_mismatches() == []


def test_packs_put_back_leave_the_lists_and_the_stock_as_it_was(client, world):
    order = picked_then_cancelled(world)
    line_id = order.lines[0].id

    response = client.post(
        f"/stock/lines/{line_id}/put-back",
        data={"next": "/stock/packing"},
        follow_redirects=True,
    )

    page = text_of(response.get_data(as_text=True))
    assert f"Infusionsset X, beställning {order.id}: tillbakalagd i lager." in page
    assert "Makulerat efter plockning" not in page
    pack = client.get(f"/stock/orders/{order.id}/pack").get_data(as_text=True)
    assert "Makulerat efter plockning" not in pack
    lot = db.session.scalar(
        db.select(StockLot)
        .filter_by(lot="L0")
        .execution_options(populate_existing=True)
    )
    assert lot.on_hand == 5 and ledger_mismatches() == []


def test_a_line_cancelled_before_picking_asks_nothing(client, world):
    order = place_order_for(world.prescriber, world.article, 2, lock_days=0)
    ordering.cancel_order(world.prescriber, order.id)

    page = client.get("/stock/packing").get_data(as_text=True)

    assert "Makulerat efter plockning" not in page


def test_packs_left_at_the_packing_table_for_months_are_still_asked_for(client, world):
    """The lists looked back 60 days: packs cancelled after picking in the
    spring and never put back fell off them, while the books counted them on
    the shelf, so the lot's count was wrong and nobody was told."""
    order = picked_then_cancelled(world)
    db.session.execute(
        sa.update(StockMovement)
        .where(StockMovement.reference == order.lines[0].reference)
        .values(at=utcnow() - timedelta(days=200))
    )
    db.session.commit()

    for path in ("/stock/packing", f"/stock/orders/{order.id}/pack"):
        page = text_of(client.get(path).get_data(as_text=True))
        assert f"Beställning {order.id} INF-7 Infusionsset X Makulerad 2 L0 A-3" in (
            page
        ), path
