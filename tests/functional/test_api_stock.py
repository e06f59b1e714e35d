"""POST /stock/receipts, GET /stock, POST /orders/{id}/ship and /deliver."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock.models import Device, StockLot, StockMovement
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_pump,
    make_role_user,
    make_user,
    place_order_for,
)
from tests.functional.test_api_basics import assert_error_format, bearer

TODAY = region_today()


@pytest.fixture
def setup():
    world = make_depot_world()
    world.article = make_article("INF-1")
    return world


def receipt(client, user, **body):
    body = {"depot_code": "HMC", "article_no": "INF-1", "packs": 5, **body}
    return client.post("/api/v1/stock/receipts", json=body, headers=bearer(user))


def place(setup, article=None, packs=1, mode="home"):
    return place_order_for(setup.prescriber, article or setup.article, packs, mode=mode)


def test_receipt_is_booked_and_stock_reports_on_hand_reserved_available(client, setup):
    response = receipt(client, setup.clerk, lot="L1", expiry="2030-01-31")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["lot"], body["expiry"], body["lot_on_hand"]) == ("L1", "2030-01-31", 5)
    place(setup, packs=2)
    response = client.get(
        "/api/v1/stock?article_no=INF-1&depot_code=HMC", headers=bearer(setup.clerk)
    )
    assert response.status_code == 200
    data = response.get_json()
    assert (data["on_hand"], data["reserved"], data["available"]) == (5, 2, 3)


def test_receipt_fills_backorders(client, setup):
    waiting = place(setup)
    assert waiting.lines[0].status == "backordered"
    body = receipt(client, setup.clerk, packs=1).get_json()
    assert body["backorders_filled"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"packs": 0}, "packs"),
        ({"packs": "5"}, "packs"),
        ({"depot_code": "NOPE"}, "depot_code"),
        ({"article_no": "NOPE"}, "article_no"),
        ({"expiry": "31/01/2030"}, "expiry"),
        ({"serials": ["S1"]}, "serials"),
    ],
)
def test_invalid_receipt_is_422_with_fields_and_writes_nothing(
    client, setup, body, field
):
    response = receipt(client, setup.clerk, **body)
    assert_error_format(response, 422, response.get_json()["error"]["code"])
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StockLot.id))) == 0


def test_the_api_takes_a_receipt_without_expiry_as_the_contract_allows(client, setup):
    """interfaces.md makes lot and expiry optional (a region's migration loads
    old stock so): the page asks for the expiry, the API does not."""
    assert (
        receipt(client, setup.clerk, lot="L1", expiry="2030-01-31").status_code == 201
    )
    assert receipt(client, setup.clerk, lot="NOEXP").status_code == 201


def test_duplicate_serial_is_409(client, setup):
    make_pump("PUMP-1")
    assert (
        receipt(
            client, setup.clerk, article_no="PUMP-1", packs=1, serials=["X1"]
        ).status_code
        == 201
    )
    response = receipt(
        client, setup.clerk, article_no="PUMP-1", packs=1, serials=["X1"]
    )
    assert_error_format(response, 409, "duplicate_serial")
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 1


@pytest.mark.parametrize("role", ["prescriber", "manager", "region", "admin"])
def test_only_the_depot_receives_and_ships(client, setup, role):
    user = make_role_user(role, setup.clinic)
    assert_error_format(receipt(client, user), 403, "forbidden")
    placed = place(setup)
    for path in ("ship", "deliver"):
        response = client.post(
            f"/api/v1/orders/{placed.id}/{path}",
            json={"delivered_on": TODAY.isoformat()},
            headers=bearer(user),
        )
        assert_error_format(response, 403, "forbidden")


def test_patients_cannot_read_stock(client, setup):
    patient = make_patient(setup.clinic)
    user = make_user("patient", patients=[patient])
    response = client.get("/api/v1/stock?article_no=INF-1", headers=bearer(user))
    assert_error_format(response, 403, "forbidden")


def test_ship_then_deliver_and_the_conflicts_around_them(client, setup):
    receipt(client, setup.clerk, packs=3)
    placed = place(setup, packs=2)
    headers = bearer(setup.clerk)
    deliver = {"delivered_on": TODAY.isoformat()}
    response = client.post(
        f"/api/v1/orders/{placed.id}/deliver", json=deliver, headers=headers
    )
    assert_error_format(response, 409, "not_shipped")
    response = client.post(
        f"/api/v1/orders/{placed.id}/ship",
        json={"tracking_ref": "RR123SE"},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "shipped" and body["tracking_ref"] == "RR123SE"
    assert body["lines"][0]["shipped_at"]
    response = client.post(f"/api/v1/orders/{placed.id}/ship", json={}, headers=headers)
    assert_error_format(response, 409, "already_shipped")
    response = client.post(
        f"/api/v1/orders/{placed.id}/deliver", json=deliver, headers=headers
    )
    assert response.status_code == 200
    line = response.get_json()["lines"][0]
    assert (line["status"], line["delivered_on"]) == ("delivered", TODAY.isoformat())
    response = client.post(
        f"/api/v1/orders/{placed.id}/deliver", json=deliver, headers=headers
    )
    assert_error_format(response, 409, "already_delivered")


def test_ship_of_a_device_needs_its_serials(client, setup):
    make_pump("PUMP-2")
    receipt(client, setup.clerk, article_no="PUMP-2", packs=1, serials=["Z9"])
    article = db.session.scalar(sa.select(StockLot).limit(1)).article
    # A patient's first pump goes to the clinic (first_device_to_clinic).
    placed = place(setup, article=article, mode="clinic")
    line_id = placed.lines[0].id
    headers = bearer(setup.clerk)
    response = client.post(f"/api/v1/orders/{placed.id}/ship", json={}, headers=headers)
    assert_error_format(response, 422, "invalid")
    assert f"serials.{line_id}" in response.get_json()["error"]["fields"]
    response = client.post(
        f"/api/v1/orders/{placed.id}/ship",
        json={"serials": {str(line_id): ["Z8"]}},
        headers=headers,
    )
    assert_error_format(response, 409, "serial_not_in_stock")
    response = client.post(
        f"/api/v1/orders/{placed.id}/ship",
        json={"serials": {str(line_id): ["Z9"]}},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["lines"][0]["serial_no"] == "Z9"
    device = db.session.scalar(sa.select(Device))
    assert (device.status, device.patient_id) == ("on_loan", placed.patient_id)


def test_backordered_order_is_409_not_reserved_and_future_delivery_422(client, setup):
    placed = place(setup)
    headers = bearer(setup.clerk)
    response = client.post(f"/api/v1/orders/{placed.id}/ship", json={}, headers=headers)
    assert_error_format(response, 409, "not_reserved")
    receipt(client, setup.clerk, packs=1)
    client.post(f"/api/v1/orders/{placed.id}/ship", json={}, headers=headers)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/orders/{placed.id}/deliver",
        json={"delivered_on": tomorrow},
        headers=headers,
    )
    assert_error_format(response, 422, "invalid")
    assert "delivered_on" in response.get_json()["error"]["fields"]


def test_unknown_order_is_404(client, setup):
    response = client.post(
        "/api/v1/orders/999999/ship", json={}, headers=bearer(setup.clerk)
    )
    assert_error_format(response, 404, "not_found")


def test_the_api_receives_as_its_contract_says_lot_and_expiry_optional(client, setup):
    """interfaces.md: lot, expiry and serials are optional. The page asks for a
    lot and refuses expired goods; a migration loading old stock (expired lots
    too, to be scrapped) through the API is not refused."""
    from datetime import date

    assert receipt(client, setup.clerk).status_code == 201
    expired = receipt(
        client, setup.clerk, lot="OLD1", expiry=date(2020, 1, 1).isoformat()
    )
    assert expired.status_code == 201
