"""The aids centre's packing list: each depot's orders found in the database,
oldest first, a page at a time (issue 19: a week of open orders at 500,000
patients made the page load every order with reserved lines in the region)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order
from sesamlike.stock.models import Reservation
from tests.factories import (
    make_article,
    make_clinic,
    make_depot,
    make_order,
    make_patient,
    make_prescription,
    make_stock_lot,
    make_user,
    place_order_for,
)


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"Packa beställning (\d+)</a>", page)]


@pytest.fixture
def region(client, auth):
    """Two depots, each the only one stocking its article, a prescriber and a
    clerk logged in."""
    north, south = make_depot("HMC"), make_depot("HMCS")
    only_north = make_article("N-1", name="Infusionsset Nord")
    only_south = make_article("S-1", name="Reservoar Syd")
    make_stock_lot(only_north, north, on_hand=100)
    make_stock_lot(only_south, south, on_hand=100)
    prescriber = make_user("prescriber", clinics=[make_clinic()])
    make_user("depot", username="lager")
    auth.login("lager")
    return north, south, only_north, only_south, prescriber


def _placed(order: Order, minutes_ago: int) -> Order:
    """Oldest first is by the time placed: set it, so the order is certain."""
    order.placed_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return order


def test_each_depot_lists_the_orders_it_holds_and_those_held_nowhere(client, region):
    north, south, only_north, only_south, prescriber = region
    from_north = _placed(place_order_for(prescriber, only_north), 50)
    from_south = _placed(place_order_for(prescriber, only_south), 40)
    patient = make_patient(prescriber.clinics[0])
    both = ordering.place_order(
        prescriber,
        patient.id,
        [(make_prescription(patient, only_north).id, 1),
         (make_prescription(patient, only_south).id, 1)],
        "home",
    ).order  # fmt: skip
    _placed(both, 30)
    # Reserved, its packs held nowhere (as lines reserved before stock kept
    # reservations): every depot's to look at.
    nowhere_patient = make_patient(prescriber.clinics[0])
    nowhere = _placed(
        make_order(
            nowhere_patient,
            [(make_prescription(nowhere_patient, only_north), 1, "reserved", None)],
        ),
        20,
    )
    # One line held in the south, the other nowhere: the south's alone.
    mixed_patient = make_patient(prescriber.clinics[0])
    mixed = make_order(
        mixed_patient,
        [(make_prescription(mixed_patient, only_north), 1, "reserved", None),
         (make_prescription(mixed_patient, only_south), 1, "reserved", None)],
    )  # fmt: skip
    south_line = next(line for line in mixed.lines if line.article_id == only_south.id)
    db.session.add(
        Reservation(reference=south_line.reference, depot_id=south.id,
                    article_id=only_south.id, packs=1, status="active")
    )  # fmt: skip
    _placed(mixed, 10)
    # Shipped: nothing to pack anywhere.
    sent = make_patient(prescriber.clinics[0])
    make_order(sent, [(make_prescription(sent, only_north), 1, "shipped", None)])

    north_page = client.get("/stock/packing", query_string={"depot": north.id}).text
    south_page = client.get("/stock/packing", query_string={"depot": south.id}).text

    assert listed(north_page) == [from_north.id, both.id, nowhere.id]
    assert listed(south_page) == [from_south.id, both.id, nowhere.id, mixed.id]
    assert "3 beställningar att packa." in north_page
    assert "4 beställningar att packa." in south_page
    # Each order says the depots holding its reserved lines.
    row = south_page[south_page.index(f"Beställning {both.id}</th>") :]
    assert row[: row.index("</td>")].endswith("HMC, HMCS")


def test_a_long_queue_is_paged_oldest_first(client, region, monkeypatch):
    north, _south, only_north, _only_south, prescriber = region
    monkeypatch.setattr(shipping, "ORDERS_PAGE", 2, raising=False)
    orders = [
        _placed(place_order_for(prescriber, only_north), 60 - n) for n in range(5)
    ]

    def page(number) -> str:
        return client.get(
            "/stock/packing", query_string={"depot": north.id, "page": number}
        ).text

    first, second, third = page(1), page(2), page(3)
    assert listed(first) == [orders[0].id, orders[1].id]
    assert listed(second) == [orders[2].id, orders[3].id]
    assert listed(third) == [orders[4].id]
    assert "5 beställningar att packa. Sidan visar de äldsta först, 1–2." in first
    assert "Sida 1 av 3" in first and "Sida 3 av 3" in third
    assert f'href="/stock/packing?depot={north.id}&amp;page=2" rel="next"' in first
    assert 'rel="next"' not in third and 'rel="prev"' in third
    # A page past the last (a number typed, or orders packed meanwhile) is the last.
    assert listed(page(99)) == [orders[4].id]
    assert listed(page("x")) == listed(first)


def test_the_page_loads_only_the_orders_it_shows(client, region, monkeypatch):
    north, _south, only_north, _only_south, prescriber = region
    monkeypatch.setattr(shipping, "ORDERS_PAGE", 2, raising=False)
    for n in range(6):
        _placed(place_order_for(prescriber, only_north), 60 - n)
    loaded: list[int] = []

    def count(_session, instance):
        if isinstance(instance, Order):
            loaded.append(instance.id)

    depot_id = north.id
    db.session.expunge_all()
    sa.event.listen(Session, "loaded_as_persistent", count)
    try:
        page = client.get("/stock/packing", query_string={"depot": depot_id}).text
    finally:
        sa.event.remove(Session, "loaded_as_persistent", count)
    assert len(listed(page)) == 2
    assert len(set(loaded)) == 2


# Deliveries to confirm ---------------------------------------------------------


@pytest.fixture
def shipped(region, monkeypatch):
    """Five orders shipped and not confirmed delivered, oldest first; two a page."""
    _north, _south, only_north, _only_south, prescriber = region
    monkeypatch.setattr(shipping, "ORDERS_PAGE", 2, raising=False)
    orders = []
    for n in range(5):
        patient = make_patient(prescriber.clinics[0])
        rx = make_prescription(patient, only_north)
        orders.append(_placed(make_order(patient, [(rx, 1, "shipped", None)]), 60 - n))
    return orders


def confirmable(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"Bekräfta leverans av beställning (\d+)", page)]


def test_the_deliveries_to_confirm_are_paged_oldest_first(client, shipped):
    first = client.get("/stock/deliveries").text
    third = client.get("/stock/deliveries", query_string={"page": 3}).text
    assert confirmable(first) == [shipped[0].id, shipped[1].id]
    assert confirmable(third) == [shipped[4].id]
    assert (
        "5 skickade beställningar väntar på leveransbekräftelse. "
        "Sidan visar de äldsta först, 1–2." in first
    )
    assert "Sida 1 av 3" in first and 'href="/stock/deliveries?page=2"' in first
    assert confirmable(client.get("/stock/deliveries?page=99").text) == [shipped[4].id]


def test_a_delivery_confirmed_on_a_page_goes_back_to_that_page(client, shipped):
    order = shipped[2]
    confirmed = client.post(
        f"/stock/orders/{order.id}/deliver",
        data={"delivered_on": region_today().isoformat(), "page": "2"},
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/stock/deliveries?page=2")
    assert order.id not in confirmable(client.get(confirmed.headers["Location"]).text)


def test_a_refused_day_is_said_beside_the_order_on_its_page(client, shipped):
    order = shipped[3]
    refused = client.post(
        f"/stock/orders/{order.id}/deliver", data={"delivered_on": "", "page": "2"}
    )
    assert refused.status_code == 422
    assert confirmable(refused.text) == [shipped[2].id, shipped[3].id]
    field = refused.text[refused.text.index(f'id="delivered-{order.id}"') :]
    assert 'aria-invalid="true"' in field[: field.index(">")]
    assert "Ange leveransdag." in field


def test_a_refusal_for_an_order_not_on_the_page_is_said_above_the_list(client, shipped):
    order = shipped[4]  # on page 3; the form says page 1
    refused = client.post(
        f"/stock/orders/{order.id}/deliver", data={"delivered_on": ""}
    )
    assert refused.status_code == 422
    assert confirmable(refused.text) == [shipped[0].id, shipped[1].id]
    assert f"Beställning {order.id}: Ange leveransdag." in refused.text
    assert 'aria-invalid="true"' not in refused.text
