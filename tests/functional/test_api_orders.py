"""POST /orders, GET /orders/{id}, POST /orders/{id}/cancel through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.stock.models import Reservation, StockMovement
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescribed,
    make_prescription,
    make_user,
)
from tests.functional.test_api_basics import assert_error_format, bearer

TODAY = region_today()


def counts():
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Order, OrderLine, Reservation, StockMovement, AuditEvent)
    ]


@pytest.fixture
def setup():
    clinic = make_clinic(
        "OWN", street="Mottagningsgatan 1", postal_code="41101", city="Göteborg"
    )
    article = make_article("INF-9", pack_price_sek=Decimal("812.50"))
    world = make_prescribed(clinic, article, packs_per_withdrawal=3)
    return world.prescriber, world.patient, world.rx


def post_order(client, user, patient, lines, **extra):
    body = {"patient_id": patient.id, "lines": lines, **extra}
    return client.post("/api/v1/orders", json=body, headers=bearer(user))


def test_an_order_to_a_box_address_answers_422_beside_the_street(client, setup):
    prescriber, patient, rx = setup
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 2}],
        delivery_mode="home", ship_to={"street": "c/o Svensson, Box 77"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "ship_to.street": ["Hjälpmedel levereras inte till boxadress."]
    }


def test_an_order_to_an_address_nobody_could_deliver_to_answers_422(client, setup):
    """The portal's form refused "😀😀" and "<i>x</i>" as a parcel's address;
    the API, through the same ordering service, shipped to them (the review
    of the change: a rule in a view, not in the service). Nothing is written."""
    prescriber, patient, rx = setup
    before = counts()
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 2}],
        delivery_mode="home",
        ship_to={"street": "😀😀", "city": "<i>x</i>", "door_code": "™"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "ship_to.street": ["Skriv gatuadressen med bokstäver och siffror."],
        "ship_to.city": ["Skriv orten med bokstäver."],
        "ship_to.door_code": ["Skriv portkoden med siffror och bokstäver."],
    }
    assert counts()[:4] == before[:4]


def test_an_order_with_a_phone_no_text_message_reaches_answers_422(client, setup):
    """The courier's text message goes to the order's number: the portal's
    form refused "------" and "1", the API stored them on the order (last
    stop's list). The number on record is not judged here. Nothing is written."""
    prescriber, patient, rx = setup
    before = counts()
    for phone, message in [
        ("------", "Telefonnumret ska ha minst 6 siffror."),
        ("1", "Telefonnumret ska ha minst 6 siffror."),
        (
            "070 😀 123 45 67",
            "Skriv telefonnumret med siffror, till exempel 070-123 45 67.",
        ),
    ]:
        response = post_order(
            client, prescriber, patient, [{"prescription_id": rx.id, "packs": 2}],
            delivery_mode="home", contact_phone=phone,
        )  # fmt: skip
        assert response.status_code == 422, phone
        assert response.get_json()["error"]["fields"] == {"contact_phone": [message]}
    assert counts()[:4] == before[:4]
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 2}],
        delivery_mode="home", contact_phone="+46 70-123 45 67",
    )  # fmt: skip
    assert response.status_code == 201


def test_order_is_placed_with_its_lines(client, setup):
    prescriber, patient, rx = setup
    response = post_order(
        client,
        prescriber,
        patient,
        [{"prescription_id": rx.id, "packs": 2}],
        delivery_mode="home",
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "reserved"
    assert body["delivery_mode"] == "home"
    assert body["ship_to"]["door_code"] == "1234"
    [line] = body["lines"]
    assert line == line | {
        "article_no": "INF-9",
        "packs": 2,
        "channel": "central",
        "status": "reserved",
        "prescription_id": rx.id,
        "pack_price_sek": 812.5,
    }
    assert isinstance(line["id"], int)
    # A date-time with its offset (OpenAPI's date-time), on SQLite as on PostgreSQL.
    assert datetime.fromisoformat(body["placed_at"]).utcoffset() == timedelta(0)
    got = client.get(f"/api/v1/orders/{body['id']}", headers=bearer(prescriber))
    assert got.status_code == 200 and got.get_json() == body


def test_same_idempotency_key_answers_200_with_the_first_order(client, setup):
    prescriber, patient, rx = setup
    lines = [{"prescription_id": rx.id, "packs": 1}]
    first = post_order(client, prescriber, patient, lines, idempotency_key="k-1")
    again = post_order(client, prescriber, patient, lines, idempotency_key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_time_locked_withdrawal_is_409_with_the_opening_date(client, setup):
    prescriber, patient, rx = setup
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY - timedelta(days=20)
    db.session.commit()
    opens_on = (TODAY + timedelta(days=40)).isoformat()
    before = counts()
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    )
    assert_error_format(response, 409, "time_locked")
    error = response.get_json()["error"]
    assert opens_on in error["message"]
    assert error["opens_on"] == opens_on and error["line"] == 0
    # Nothing written but the read of the prescription the refusal tells of.
    assert counts() == [*before[:-1], before[-1] + 1]
    english = client.post(
        "/api/v1/orders",
        json={
            "patient_id": patient.id,
            "lines": [{"prescription_id": rx.id, "packs": 1}],
        },
        headers={**bearer(prescriber), "Accept-Language": "en"},
    )
    assert english.get_json()["error"]["message"] == (
        f"The next withdrawal is possible from {opens_on}."
    )


def test_used_up_prescription_is_409(client, setup):
    prescriber, patient, rx = setup
    rx.withdrawals_used = rx.withdrawals
    db.session.commit()
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    )
    assert_error_format(response, 409, "prescription_used_up")


def test_too_many_packs_is_422_naming_the_field(client, setup):
    prescriber, patient, rx = setup
    before = counts()
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 4}]
    )
    assert_error_format(response, 422, "too_many_packs")
    assert "lines.0.packs" in response.get_json()["error"]["fields"]
    assert "Högst 3 förpackningar" in response.get_json()["error"]["message"]
    # Nothing written but the read of the prescription the refusal tells of.
    assert counts() == [*before[:-1], before[-1] + 1]


@pytest.mark.parametrize("which", ["unknown", "other_patient"])
def test_unknown_or_other_patients_prescription_is_422(client, setup, which):
    prescriber, patient, rx = setup
    if which == "other_patient":
        other = make_patient(db.session.get(type(rx.clinic), rx.clinic_id))
        pid = make_prescription(other, rx.article).id
    else:
        pid = 424242
    response = post_order(
        client, prescriber, patient, [{"prescription_id": pid, "packs": 1}]
    )
    assert_error_format(response, 422, "unknown_prescription")
    assert "lines.0.prescription_id" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"prescription_id": 1, "packs": 0}]}, "lines.0.packs"),
        ({"lines": [{"prescription_id": "x", "packs": 1}]}, "lines.0.prescription_id"),
        (
            {"lines": [{"prescription_id": 1, "packs": 1}], "delivery_mode": "drone"},
            "delivery_mode",
        ),
    ],
)
def test_malformed_body_is_422_with_fields(client, setup, body, field):
    prescriber, patient, _ = setup
    response = client.post(
        "/api/v1/orders",
        json={"patient_id": patient.id, **body},
        headers=bearer(prescriber),
    )
    assert_error_format(response, 422, "invalid")
    assert field in response.get_json()["error"]["fields"]


def test_delivery_mode_that_does_not_suit_is_422(client, setup):
    prescriber, patient, rx = setup
    response = post_order(
        client,
        prescriber,
        patient,
        [{"prescription_id": rx.id, "packs": 1}],
        delivery_mode="pharmacy",
    )
    assert_error_format(response, 422, "delivery_mode_not_allowed")
    assert "home, clinic, pickup" in response.get_json()["error"]["message"]


def test_pickup_without_a_mobile_number_is_422(client, setup):
    prescriber, patient, rx = setup
    before = counts()
    lines = [{"prescription_id": rx.id, "packs": 1}]
    response = post_order(client, prescriber, patient, lines, delivery_mode="pickup")
    assert_error_format(response, 422, "pickup_needs_mobile")
    assert "contact_phone" in response.get_json()["error"]["fields"]
    assert counts()[:4] == before[:4]
    response = post_order(
        client,
        prescriber,
        patient,
        lines,
        delivery_mode="pickup",
        contact_phone="0701234567",
    )
    assert response.status_code == 201
    assert response.get_json()["contact_phone"] == "0701234567"


def test_first_pump_goes_to_the_clinic_by_default(client, setup):
    prescriber, patient, _ = setup
    pump = make_article(category="pump", channel="supplier")
    rx = make_prescription(patient, pump)
    response = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    )
    body = response.get_json()
    assert body["delivery_mode"] == "clinic"
    assert body["ship_to"]["street"] == "Mottagningsgatan 1"
    assert body["lines"][0]["status"] == "sent_to_supplier"


def test_patient_of_another_clinic_and_their_orders_are_404(client, setup):
    prescriber, patient, rx = setup
    outsider = make_user("prescriber", clinics=[make_clinic()])
    response = post_order(
        client, outsider, patient, [{"prescription_id": rx.id, "packs": 1}]
    )
    assert_error_format(response, 404, "not_found")
    order_id = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    ).get_json()["id"]
    for call in (client.get, client.post):
        path = f"/api/v1/orders/{order_id}" + ("/cancel" if call == client.post else "")
        assert_error_format(call(path, headers=bearer(outsider)), 404, "not_found")
    missing = client.get("/api/v1/orders/999999", headers=bearer(prescriber))
    assert_error_format(missing, 404, "not_found")


@pytest.mark.parametrize("role", ["manager", "depot"])
def test_roles_that_do_not_order_get_403(client, setup, role):
    _, patient, rx = setup
    user = make_user(
        role,
        clinics=[db.session.get(type(rx.clinic), rx.clinic_id)]
        if role == "manager"
        else [],
    )
    response = post_order(
        client, user, patient, [{"prescription_id": rx.id, "packs": 1}]
    )
    assert_error_format(response, 403, "forbidden")


def test_depot_reads_any_order(client, setup):
    prescriber, patient, rx = setup
    order_id = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    ).get_json()["id"]
    depot = make_user("depot")
    assert (
        client.get(f"/api/v1/orders/{order_id}", headers=bearer(depot)).status_code
        == 200
    )


def test_cancel_then_cancel_again_is_409(client, setup):
    prescriber, patient, rx = setup
    order_id = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    ).get_json()["id"]
    cancelled = client.post(
        f"/api/v1/orders/{order_id}/cancel", headers=bearer(prescriber)
    )
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["status"] == "cancelled"
    assert [line["status"] for line in body["lines"]] == ["cancelled"]
    assert body["cancellable"] is False
    again = client.post(f"/api/v1/orders/{order_id}/cancel", headers=bearer(prescriber))
    assert_error_format(again, 409, "not_cancellable")
    db.session.refresh(rx)
    assert rx.withdrawals_used == 0


def test_cancel_again_says_the_order_is_already_cancelled(client, setup):
    prescriber, patient, rx = setup
    order_id = post_order(
        client, prescriber, patient, [{"prescription_id": rx.id, "packs": 1}]
    ).get_json()["id"]
    url = f"/api/v1/orders/{order_id}/cancel"
    assert client.post(url, headers=bearer(prescriber)).status_code == 200
    again = client.post(url, headers=bearer(prescriber))
    assert_error_format(again, 409, "not_cancellable")  # the code stays stable
    message = again.get_json()["error"]["message"]
    assert "redan makulerad" in message and "skickad" not in message


def test_protected_identity_hides_the_home_address_but_not_the_clinics(client, setup):
    prescriber, patient, rx = setup
    order_id = post_order(
        client,
        prescriber,
        patient,
        [{"prescription_id": rx.id, "packs": 1}],
        delivery_mode="home",
    ).get_json()["id"]
    patient.protected_identity = True
    db.session.commit()
    answer = client.get(f"/api/v1/orders/{order_id}", headers=bearer(prescriber))
    body = answer.get_json()
    # Protected after ordering (issue 15): the order goes to the clinic now, so
    # its ship-to is the clinic's address; the home address is in no answer.
    assert patient.home_address().street not in answer.get_data(as_text=True)
    assert body["delivery_mode"] == "clinic" and body["contact_phone"] is None
    assert body["ship_to"]["street"] == "Mottagningsgatan 1"
    assert body["ship_to"]["door_code"] is None
    refused = post_order(
        client,
        prescriber,
        patient,
        [{"prescription_id": make_prescription(patient, rx.article).id, "packs": 1}],
        delivery_mode="home",
    )
    assert_error_format(refused, 422, "protected_identity_clinic_only")


def test_orders_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"201", "200", "409", "422", "404"} <= set(
        paths["/orders"]["post"]["responses"]
    )
    assert "get" in paths["/orders/{order_id}"]
    assert "post" in paths["/orders/{order_id}/cancel"]
