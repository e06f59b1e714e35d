"""An order sent in two parcels: each keeps its tracking number and its day.

The walkthrough's case: the pump of order 2023 went with PN100000003SE, the
reservoirs a day later with PN100000004SE. The deliveries page showed
PN100000004SE for both, and one button confirmed every shipped line on one
day, so the pump's delivery day (the start of its amortisation) could be the
reservoirs'. The prescriber's and the patient's order pages showed only the
last number.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import OrderLine
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_prescription,
)

TODAY = region_today()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def two_parcels(auth):
    """One order of two articles, shipped as two parcels; the clerk is logged in."""
    world = make_depot_world(clerk="lager")
    sets = make_article("INF-7", name="Infusionsset X")
    reservoirs = make_article("RES-3", name="Reservoar Y")
    for number in ("INF-7", "RES-3"):
        shipping.receive_stock(world.clerk, "HMC", number, 5, lot="L0")
    patient = make_patient(world.prescriber.clinics[0])
    wanted = [
        (make_prescription(patient, article, packs_per_withdrawal=1,
                           lock_days=0).id, 1)
        for article in (sets, reservoirs)
    ]  # fmt: skip
    world.order = ordering.place_order(
        world.prescriber, patient.id, wanted, "home"
    ).order
    # Placed three days ago: a parcel may arrive any day since.
    world.order.placed_at -= timedelta(days=3)
    db.session.commit()
    first, second = sorted(world.order.lines, key=lambda line: line.id)
    world.first, world.second = first.id, second.id
    parcels = ((first.id, "PN100000003SE"), (second.id, "PN100000004SE"))
    for line_id, tracking in parcels:
        shipping.ship_order(
            world.clerk, world.order.id, line_ids=[line_id], tracking_ref=tracking,
            pick_override="plockat direkt ur hyllan vid packbordet",
        )  # fmt: skip
    auth.login("lager")
    return world


def line(line_id: int) -> OrderLine:
    db.session.expire_all()
    return db.session.get(OrderLine, line_id)


def test_the_deliveries_page_confirms_each_parcel_on_its_own_day(client, two_parcels):
    page = client.get("/stock/deliveries").text
    assert page.count("Sändnings-id PN100000003SE") == 1
    assert page.count("Sändnings-id PN100000004SE") == 1
    # Each parcel names its own article, beside its own number.
    first = page.split("PN100000003SE")[1].split("</form>")[0]
    assert "Infusionsset X" in page.split("PN100000003SE")[0].rsplit("<li", 1)[1]
    assert "Reservoar Y" not in first

    confirmed = client.post(
        f"/stock/orders/{two_parcels.order.id}/deliver",
        data={"delivered_on": YESTERDAY.isoformat(),
              "shipment_id": str(line(two_parcels.first).shipment_id)},
    )  # fmt: skip

    assert confirmed.status_code == 302
    assert (line(two_parcels.first).status, line(two_parcels.first).delivered_on) == (
        "delivered", YESTERDAY)  # fmt: skip
    assert line(two_parcels.second).status == "shipped"
    page = client.get("/stock/deliveries").text
    assert "PN100000004SE" in page and "PN100000003SE" not in page
    client.post(
        f"/stock/orders/{two_parcels.order.id}/deliver",
        data={"delivered_on": TODAY.isoformat(),
              "shipment_id": str(line(two_parcels.second).shipment_id)},
    )  # fmt: skip
    assert line(two_parcels.second).delivered_on == TODAY


def test_a_parcel_of_another_order_is_refused_and_nothing_is_delivered(
    client, two_parcels
):
    other = client.post(
        f"/stock/orders/{two_parcels.order.id}/deliver",
        data={"delivered_on": TODAY.isoformat(), "shipment_id": "999999"},
    )
    assert other.status_code == 404
    assert {line(two_parcels.first).status, line(two_parcels.second).status} == {
        "shipped"
    }


@pytest.mark.parametrize("login", ["prescriber"])
def test_the_order_page_shows_every_parcels_tracking_number(
    client, auth, two_parcels, login
):
    auth.logout()
    auth.login(two_parcels.prescriber.username)
    page = client.get(f"/orders/{two_parcels.order.id}").text
    assert "PN100000003SE" in page and "PN100000004SE" in page


def test_the_api_still_names_the_last_parcel_as_the_orders_tracking_ref(two_parcels):
    from sesamlike.orders.models import Order

    order = db.session.scalar(sa.select(Order).where(Order.id == two_parcels.order.id))
    assert order.tracking_ref == "PN100000004SE"
