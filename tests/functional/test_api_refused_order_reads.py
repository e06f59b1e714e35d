"""A refused API order that tells about the patient's prescriptions logs the read.

POST /orders answered 409 time_locked names the day the next withdrawal opens
(the last withdrawal plus the lock), and 422 too_many_packs names the article and
the packs per withdrawal: both read the patient's prescription. The refusal
writes no order, line, reservation or stock movement, but the read is in the
patient's access log, as when the order page shows the same prescriptions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.stock.models import Reservation, StockMovement
from tests.factories import make_article, make_clinic, make_patient, make_prescribed
from tests.functional.test_api_basics import bearer
from tests.functional.test_api_refused_prescription_reads import access_rows

TODAY = region_today()


def _world():
    clinic = make_clinic("OWN")
    article = make_article("INF-9", pack_price_sek=Decimal("812.50"))
    return make_prescribed(clinic, article, packs_per_withdrawal=3)


def _changes() -> list[int]:
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Order, OrderLine, Reservation, StockMovement)
    ]


def _order(client, user, patient, rx, packs):
    body = {"patient_id": patient.id,
            "lines": [{"prescription_id": rx.id, "packs": packs}]}  # fmt: skip
    return client.post("/api/v1/orders", json=body, headers=bearer(user))


def test_a_time_locked_order_logs_the_read_of_the_prescription(client):
    world = _world()
    rx = world.rx
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY - timedelta(days=20)
    db.session.commit()
    before, reads = _changes(), access_rows(world.patient)

    response = _order(client, world.prescriber, world.patient, rx, 1)

    assert response.status_code == 409
    assert response.get_json()["error"]["opens_on"]  # the patient's data, shown
    assert _changes() == before
    assert access_rows(world.patient) == [*reads, ("read", "api")]


def test_too_many_packs_logs_the_read_of_the_prescription(client):
    world = _world()
    before, reads = _changes(), access_rows(world.patient)

    response = _order(client, world.prescriber, world.patient, world.rx, 4)

    assert response.status_code == 422
    assert "Högst 3 förpackningar" in response.get_json()["error"]["message"]
    assert _changes() == before
    assert access_rows(world.patient) == [*reads, ("read", "api")]


def test_a_patient_out_of_reach_gets_404_and_no_row(client):
    world = _world()
    stranger = make_patient(make_clinic("ELSE"))
    reads = access_rows(stranger)

    response = _order(client, world.prescriber, stranger, world.rx, 1)

    assert response.status_code == 404
    assert access_rows(stranger) == reads


def test_a_refused_cancellation_logs_the_read_of_the_order(client):
    world = _world()
    placed = _order(client, world.prescriber, world.patient, world.rx, 1)
    order_id = placed.get_json()["id"]
    headers = bearer(world.prescriber)
    cancel = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
    assert cancel.status_code == 200
    reads = access_rows(world.patient)

    again = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)

    assert again.status_code == 409  # tells the order can no longer be cancelled
    assert access_rows(world.patient) == [*reads, ("read", "api")]
