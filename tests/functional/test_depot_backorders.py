"""The depot's queue of backorders: which orders wait for which article, how
many packs are missing, since when, and what is coming in."""

from __future__ import annotations

import re

import pytest

from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.stock.models import PurchaseProposal
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    place_order_for,
)


@pytest.fixture
def world(auth):
    world = make_depot_world(clerk="lager")
    world.article = make_article("INF-7", name="Infusionsset X")
    auth.login("lager")
    return world


def place(world, packs, patient=None):
    return place_order_for(
        world.prescriber, world.article, packs, patient=patient, lock_days=0
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_backordered_orders_are_listed_with_article_packs_and_day(client, world):
    patient = make_patient(world.prescriber.clinics[0], last_name="Hemligsson")
    first = place(world, 3, patient)
    second = place(world, 2)
    assert first.lines[0].status == "backordered"

    html = client.get("/stock/backorders").get_data(as_text=True)
    page = text_of(html)

    assert f"Beställning {first.id} INF-7 Infusionsset X 3 3" in page
    # The second waits behind the first: 5 packs must come in before it fills.
    assert f"Beställning {second.id} INF-7 Infusionsset X 2 5" in page
    assert page.index(f"Beställning {first.id}") < page.index(
        f"Beställning {second.id}"
    )
    assert region_today().isoformat() in page  # the day it was backordered
    # Proposed the day they waited (the backorders' packs), not yet ordered.
    assert "Inköpsförslag på 5 förp., inte beställt" in page
    # Need to know: the order number and the article, no patient.
    assert "Hemligsson" not in page and patient.personal_id not in page


def test_a_purchase_ordered_from_the_supplier_is_shown_as_incoming(client, world):
    place(world, 3)
    db.session.add(
        PurchaseProposal(
            depot_id=world.depot.id, article_id=world.article.id,
            supplier="Leverantör AB", packs=40, position=-3, reorder_level=5,
            order_up_to=40, status="ordered", decided_at=utcnow(),
        )
    )  # fmt: skip
    db.session.commit()

    page = text_of(client.get("/stock/backorders").get_data(as_text=True))

    assert "40 förp. beställda hos Leverantör AB" in page
    assert "Inget inköp beställt" not in page


def test_a_filled_backorder_leaves_the_queue(client, world):
    order = place(world, 3)
    shipping.receive_stock(world.clerk, "HMC", "INF-7", 3, lot="L1")

    page = text_of(client.get("/stock/backorders").get_data(as_text=True))

    assert f"Beställning {order.id}" not in page
    assert "Inga restnoterade beställningar." in page


def test_the_queue_is_linked_from_the_start_page_and_the_depot_pages(client, world):
    assert 'href="/stock/backorders"' in client.get("/").get_data(as_text=True)
    assert 'href="/stock/backorders"' in client.get("/stock/packing").get_data(
        as_text=True
    )
