"""The aids centre sees the orders it handles, and the ship-to of those it
ships (domain.md, need to know).

A pharmacy or supplier order of consumables reaches the patient without the
aids centre: its clerks cannot open it at all, on the packing page or in the
API (the second security review: `GET /api/v1/orders/{id}` gave `lager` any
order in the region, years back, while FHIR hid the same lines). A device the
supplier delivered is the aids centre's to lend and take back, so its order
opens, without the patient's name, street, door code or phone. An order with
a line of the aids centre's own (central channel, not cancelled) shows its
ship-to while the aids centre handles it: until delivered (a parcel on its
way, or lost, needs it all), then without the door code for the days a return
may come back, then the order is closed to it (the first security review: a
clerk could read the address and door code of every order ever shipped, by
walking the order ids).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.services import issue_token
from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import LineStatus, Order
from tests.factories import make_article, make_order, make_prescription, make_user
from tests.privacy_data import make_privacy_region

NOT_SHIPPED_HERE = "Ingen adress: beställningen skickas inte från hjälpmedelscentralen."


@pytest.fixture
def region():
    return make_privacy_region()


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(username)}"}


def pharmacy_order_for_home(region) -> int:
    """Ella's CGM sensors (pharmacy channel) posted to her home."""
    ella = region.person("ella")
    sensor = db.session.scalar(sa.select(Article).where(Article.article_no == "G7"))
    doc = region.users["prescriber"]
    rx = make_prescription(ella.patient, sensor, doc, packs_per_withdrawal=2)
    placed = ordering.place_order(doc, ella.id, [(rx.id, 1)], "home")
    assert placed.order.ship_to_street == ella.street
    return placed.order.id


def secrets_of(region) -> list[str]:
    ella = region.person("ella")
    return [*ella.strings("contact"), ella.last_name]


def mark_delivered(order_id: int) -> None:
    order = db.session.get(Order, order_id)
    for line in order.lines:
        line.status, line.delivered_on = LineStatus.DELIVERED, region_today()
    db.session.commit()


NOT_HANDLED = "Sidan finns inte"


@pytest.mark.parametrize("username", ["lager", "lager.soder"])
def test_an_order_the_aids_centre_does_not_handle_is_closed_to_it(
    client, auth, region, username
):
    if username == "lager.soder":
        make_user("depot", username=username)
    pharmacy = pharmacy_order_for_home(region)
    supplier = region.person("ella").orders[1]
    auth.login(username)
    for order_id in (pharmacy, supplier):
        for delivered in (False, True):
            if delivered:
                mark_delivered(order_id)
            page = client.get(f"/stock/orders/{order_id}/pack", follow_redirects=True)
            answer = client.get(f"/api/v1/orders/{order_id}", headers=bearer(username))
            assert answer.status_code == 404, (order_id, delivered)
            assert answer.get_json()["error"]["code"] == "not_found"
            assert NOT_HANDLED in page.text and "Packa beställning" not in page.text
            for secret in secrets_of(region):
                assert secret not in page.text, (order_id, delivered, secret)
                assert secret not in answer.text, (order_id, delivered, secret)
    # The patient's own care still sees where the sensors go.
    answer = client.get(f"/api/v1/orders/{pharmacy}", headers=bearer("doc"))
    assert answer.get_json()["ship_to"]["door_code"] == region.person("ella").door_code


def test_a_device_the_supplier_delivered_opens_without_its_address(
    client, auth, region
):
    """The aids centre lends and takes back a pump whoever delivered it: its
    order opens, years on, but the patient's address is not the aids centre's."""
    ella = region.person("ella")
    pump = make_article("PUMP-S", category="pump", channel="supplier",
                        serial_tracked=True)  # fmt: skip
    rx = make_prescription(ella.patient, pump, withdrawals=1)
    long_ago = region_today() - timedelta(days=400)
    order = make_order(ella.patient, [(rx, 1, "delivered", long_ago)])
    order.ship_to_street = ella.street
    db.session.commit()
    auth.login("lager")
    page = client.get(f"/stock/orders/{order.id}/pack")
    answer = client.get(f"/api/v1/orders/{order.id}", headers=bearer("lager"))
    assert page.status_code == answer.status_code == 200
    assert NOT_SHIPPED_HERE in page.text
    assert answer.get_json()["ship_to"] is None
    assert ella.street not in page.text and ella.street not in answer.text


def test_an_order_the_aids_centre_shipped_shows_its_address_while_it_handles_it(
    client, auth, region
):
    ella = region.person("ella")
    central = ella.orders[0]
    depot = region.users["depot"]
    auth.login("lager")
    today = region_today()
    for step, door_code in (("placed", True), ("shipped", True),
                            ("delivered", False), ("14 days on", False)):  # fmt: skip
        if step == "shipped":
            shipping.ship_order(depot, central, tracking_ref="PN1SE")
        if step == "delivered":
            shipping.deliver_order(depot, central, today)
        if step == "14 days on":  # the last day unused packs may come back
            for line in db.session.get(Order, central).lines:
                line.delivered_on = today - timedelta(days=14)
            db.session.commit()
        page = client.get(f"/stock/orders/{central}/pack")
        assert ella.street in page.text, step
        assert (ella.door_code in page.text) is door_code, step
        assert NOT_SHIPPED_HERE not in page.text
        body = client.get(f"/api/v1/orders/{central}", headers=bearer("lager"))
        body = body.get_json()
        assert body["ship_to"]["street"] == ella.street, step
        assert body["ship_to"]["door_code"] == (ella.door_code if door_code else None)
        assert body["contact_phone"] == ella.phone

    for line in db.session.get(Order, central).lines:
        line.delivered_on = today - timedelta(days=15)
    db.session.commit()
    page = client.get(f"/stock/orders/{central}/pack", follow_redirects=True)
    answer = client.get(f"/api/v1/orders/{central}", headers=bearer("lager"))
    for secret in secrets_of(region):
        assert secret not in page.text and secret not in answer.text, secret
    assert NOT_HANDLED in page.text
    assert answer.status_code == 404
    # The patient's own care still sees where it went.
    answer = client.get(f"/api/v1/orders/{central}", headers=bearer("doc"))
    assert answer.get_json()["ship_to"]["door_code"] == ella.door_code


@pytest.mark.parametrize("protected", [False, True])
def test_a_device_the_supplier_took_to_the_clinic_names_no_patient(
    client, auth, region, protected
):
    """The third review: the pack page's word on marking a clinic parcel named
    the patient on an order the aids centre does not ship (a supplier's pump
    to the clinic), protected identity or not."""
    ella = region.person("ella")
    pump = make_article("PUMP-S", category="pump", channel="supplier",
                        serial_tracked=True)  # fmt: skip
    rx = make_prescription(ella.patient, pump, withdrawals=1)
    long_ago = region_today() - timedelta(days=400)
    order = make_order(ella.patient, [(rx, 1, "delivered", long_ago)],
                       delivery_mode="clinic")  # fmt: skip
    ella.patient.protected_identity = protected
    db.session.commit()
    auth.login("lager")
    page = client.get(f"/stock/orders/{order.id}/pack")
    answer = client.get(f"/api/v1/orders/{order.id}", headers=bearer("lager"))
    assert page.status_code == answer.status_code == 200
    assert "Märk paketet" not in page.text
    for text in (page.text, answer.text):
        assert ella.last_name not in text and ella.street not in text
