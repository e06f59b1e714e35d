"""The aids centre's pick list a page at a time, oldest orders first (before:
every active reservation of the depot on one page, sorted by order number,
however long the queue; the left-alone list since issue 19)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment import pick_queue
from sesamlike.orders.models import Order, line_reference
from sesamlike.stock.models import Reservation
from tests.factories import (
    make_article,
    make_clinic,
    make_depot,
    make_stock_lot,
    make_user,
    place_order_for,
)

TODAY = region_today()


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<h2>Beställning (\d+)</h2>", page)]


def lots_of(page: str, order_id: int) -> list[str]:
    """The lot numbers the page gives an order's rows."""
    start = page.index(f"<h2>Beställning {order_id}</h2>")
    section = page[start : page.index("</section>", start)]
    return re.findall(r'data-label="Parti">([^<]+)</td>', section)


@pytest.fixture
def queue(client, auth, monkeypatch):
    """Five orders of two packs each, the oldest placed first, on a depot whose
    two lots of the article cover two orders (early expiry) and three more."""
    monkeypatch.setattr(pick_queue, "ORDERS_PAGE", 2)
    depot = make_depot("HMC")
    article = make_article("INF-1", name="Infusionsset")
    make_stock_lot(article, depot, on_hand=4, lot="EARLY",
                   expiry=TODAY + timedelta(days=30))  # fmt: skip
    make_stock_lot(article, depot, on_hand=100, lot="LATE",
                   expiry=TODAY + timedelta(days=300))  # fmt: skip
    prescriber = make_user("prescriber", clinics=[make_clinic()])
    orders = []
    for n in range(5):
        order = place_order_for(prescriber, article, packs=2)
        order.placed_at = utcnow() - timedelta(minutes=60 - n)
        orders.append(order)
    db.session.commit()
    make_user("depot", username="lager")
    auth.login("lager")
    return depot, orders


def test_a_long_pick_list_is_paged_oldest_first(client, queue):
    depot, orders = queue

    def page(number) -> str:
        return client.get(
            "/stock/picking", query_string={"depot": depot.id, "page": number}
        ).text

    first, second, third = page(1), page(2), page(3)
    ids = [order.id for order in orders]
    assert listed(first) == ids[:2]
    assert listed(second) == ids[2:4]
    assert listed(third) == ids[4:]
    assert "5 beställningar att plocka. Sidan visar de äldsta först, 1–2." in first
    assert "Sida 1 av 3" in first and "Sida 3 av 3" in third
    assert f'href="/stock/picking?page=2&amp;depot={depot.id}" rel="next"' in first
    # The lots are allocated over the whole list: the first two orders take
    # the early lot, so the later pages are told to pick from the late one.
    assert lots_of(first, ids[0]) == lots_of(first, ids[1]) == ["EARLY"]
    assert lots_of(second, ids[2]) == lots_of(third, ids[4]) == ["LATE"]
    # A page past the last (typed, or orders picked meanwhile) is the last.
    assert listed(page(99)) == ids[4:]
    assert listed(page("x")) == ids[:2]


def test_picked_orders_leave_the_list_and_the_next_move_up(client, queue):
    depot, orders = queue
    for order in orders[:2]:
        assert client.post(f"/stock/orders/{order.id}/pick").status_code == 302
    page = client.get("/stock/picking", query_string={"depot": depot.id}).text
    assert listed(page) == [orders[2].id, orders[3].id]
    assert "3 beställningar att plocka." in page
    assert lots_of(page, orders[2].id) == ["LATE"]


def test_one_page_says_how_many_and_has_no_pager(client, queue, monkeypatch):
    depot, orders = queue
    monkeypatch.setattr(pick_queue, "ORDERS_PAGE", 50)
    page = client.get("/stock/picking", query_string={"depot": depot.id}).text
    assert listed(page) == [order.id for order in orders]
    assert "5 beställningar att plocka.</p>" in page
    assert 'class="pager"' not in page
    assert db.session.query(Reservation).count() == 5
    assert db.session.query(Order).count() == 5


def test_a_backorder_filled_by_a_receipt_is_picked_by_its_orders_age(client, queue):
    """The walkthrough: a receipt filled two backorders placed days before
    the rest, and the pick list showed them last (its reservations are made
    when the stock comes in), the orders already late; the packing list
    showed them first."""
    depot, orders = queue
    oldest = orders[0]
    reservation = db.session.scalars(
        sa.select(Reservation).where(
            Reservation.reference == line_reference(oldest.lines[0].id)
        )
    ).one()
    reservation.created_at = utcnow() + timedelta(minutes=5)  # reserved last
    db.session.commit()

    page = client.get("/stock/picking", query_string={"depot": depot.id}).text

    assert listed(page) == [oldest.id, orders[1].id]
    assert lots_of(page, oldest.id) == ["EARLY"]  # first expiry to the first
