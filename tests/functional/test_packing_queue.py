"""The aids centre's packing list: each depot's orders found in the database,
oldest first, a page at a time (issue 19: a week of open orders at 500,000
patients made the page load every order with reserved lines in the region)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from sesamlike.accounts.models import User
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


def _order_of_both(prescriber, patient, first, second) -> Order:
    """An order of one pack of each article, placed by the prescriber."""
    lines = [(make_prescription(patient, article).id, 1) for article in (first, second)]
    return ordering.place_order(prescriber, patient.id, lines, "home").order


def test_each_depot_lists_the_orders_it_holds_and_those_held_nowhere(client, region):
    north, south, only_north, only_south, prescriber = region
    from_north = _placed(place_order_for(prescriber, only_north), 50)
    from_south = _placed(place_order_for(prescriber, only_south), 40)
    patient = make_patient(prescriber.clinics[0])
    both = _order_of_both(prescriber, patient, only_north, only_south)
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
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)[1]
    assert next_link.startswith("/stock/packing?")
    assert parse_qs(urlsplit(next_link.replace("&amp;", "&")).query) == {
        "depot": [str(north.id)],
        "page": ["2"],
    }
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


def test_a_refusal_for_an_order_now_on_another_page_shows_that_page(client, shipped):
    order = shipped[4]  # on page 3; the form says page 1 (orders confirmed since)
    refused = client.post(
        f"/stock/orders/{order.id}/deliver", data={"delivered_on": ""}
    )
    assert refused.status_code == 422
    assert confirmable(refused.text) == [order.id]
    assert "Sida 3 av 3" in refused.text
    field = refused.text[refused.text.index(f'id="delivered-{order.id}"') :]
    assert 'aria-invalid="true"' in field[: field.index(">")]


def test_a_refusal_for_a_parcel_no_longer_to_confirm_is_said_above_the_list(
    client, region
):
    """Two parcels; a colleague confirms the first; the form of the first,
    sent again with its day cleared, has no field left to be said beside."""
    _north, _south, only_north, only_south, prescriber = region
    patient = make_patient(prescriber.clinics[0])
    order = _order_of_both(prescriber, patient, only_north, only_south)
    clerk = db.session.scalar(sa.select(User).where(User.username == "lager"))
    for line in order.lines:
        shipping.ship_order(clerk, order.id, line_ids=[line.id], require_picked=False)
    first, _second = sorted(shipment.id for shipment in order.shipments)
    shipping.deliver_order(clerk, order.id, region_today(), shipment_id=first)
    refused = client.post(
        f"/stock/orders/{order.id}/deliver",
        data={"delivered_on": "", "shipment_id": str(first)},
    )
    assert refused.status_code == 422
    assert f"Beställning {order.id}: Ange leveransdag." in refused.text
    assert 'aria-invalid="true"' not in refused.text


def test_the_deliveries_form_sends_its_own_page_back(client, shipped):
    page = client.get("/stock/deliveries", query_string={"page": 2}).text
    form = page[page.index(f"/stock/orders/{shipped[3].id}/deliver") :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="page" value="2">' in form
    first = client.get("/stock/deliveries").text
    assert 'name="page"' not in first  # page 1 is the page without one


def test_lines_not_central_or_not_shipped_are_no_delivery_to_confirm(client, region):
    _north, _south, only_north, _only_south, prescriber = region
    patient = make_patient(prescriber.clinics[0])
    supplier = make_article("SUP-1", name="Sensor Leverantör", channel="supplier")
    by_supplier = make_order(
        patient, [(make_prescription(patient, supplier), 1, "shipped", None)]
    )
    delivered = make_order(
        patient,
        [(make_prescription(patient, only_north), 1, "delivered", region_today())],
    )
    listed_ids = confirmable(client.get("/stock/deliveries").text)
    assert by_supplier.id not in listed_ids and delivered.id not in listed_ids


def test_orders_placed_at_the_same_moment_come_by_number(client, region, monkeypatch):
    north, _south, only_north, _only_south, prescriber = region
    monkeypatch.setattr(shipping, "ORDERS_PAGE", 2, raising=False)
    orders = [place_order_for(prescriber, only_north) for _ in range(3)]
    moment = utcnow() - timedelta(minutes=5)
    for order in reversed(orders):
        order.placed_at = moment
    db.session.commit()
    pages = [
        listed(client.get("/stock/packing", query_string={"depot": north.id,
                                                          "page": n}).text)
        for n in (1, 2)
    ]  # fmt: skip
    assert pages == [[orders[0].id, orders[1].id], [orders[2].id]]


def test_picked_packs_are_held_and_released_ones_are_not(client, region):
    north, south, only_north, _only_south, prescriber = region
    patient = make_patient(prescriber.clinics[0])
    picked, released = (
        make_order(patient, [(make_prescription(patient, only_north), 1,
                              "reserved", None)])
        for _ in range(2)
    )  # fmt: skip
    for order, status in ((picked, "picked"), (released, "released")):
        db.session.add(
            Reservation(reference=order.lines[0].reference, depot_id=south.id,
                        article_id=only_north.id, packs=1, status=status)
        )  # fmt: skip
    db.session.commit()
    north_list = listed(
        client.get("/stock/packing", query_string={"depot": north.id}).text
    )
    south_list = listed(
        client.get("/stock/packing", query_string={"depot": south.id}).text
    )
    # Picked in the south: the south's to pack. Released: held nowhere, so
    # every depot's to look at.
    assert picked.id in south_list and picked.id not in north_list
    assert released.id in south_list and released.id in north_list


def test_an_order_packed_from_a_later_page_returns_to_that_page(
    client, region, monkeypatch
):
    north, _south, only_north, _only_south, prescriber = region
    monkeypatch.setattr(shipping, "ORDERS_PAGE", 2, raising=False)
    orders = [
        _placed(place_order_for(prescriber, only_north), 60 - n) for n in range(5)
    ]
    page = client.get(
        "/stock/packing", query_string={"depot": north.id, "page": 2}
    ).text
    link = f"/stock/orders/{orders[2].id}/pack?depot={north.id}&amp;page=2"
    assert f'href="{link}"' in page
    pack_page = client.get(link.replace("&amp;", "&")).text
    assert f'action="{link}"' in pack_page
    shipped_now = client.post(
        link.replace("&amp;", "&"),
        data={"line": str(orders[2].lines[0].id),
              "pick_override": "Plockad av kollega, listan skrevs inte ut"},
    )  # fmt: skip
    assert shipped_now.status_code == 302
    assert shipped_now.headers["Location"].endswith(
        f"/stock/packing?depot={north.id}&page=2"
    )
