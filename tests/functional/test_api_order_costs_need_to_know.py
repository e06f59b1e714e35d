"""An order through the API carries its lines' prices only to the prescriber.

domain.md, "Need to know": patients and guardians need no costs, nor does the
aids centre; the prescriber sees the clinic's costs per patient. The portal and
the aids centre's pages show no price, FHIR leaves costs out (docs/fhir.md), and
GET /orders/{id} answered pack_price_sek and vat_rate of every line to all of them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_article, make_clinic, make_prescribed, make_user
from tests.functional.test_api_basics import bearer


@pytest.fixture
def placed(client):
    clinic = make_clinic("OWN")
    world = make_prescribed(
        clinic, make_article("INF-9", pack_price_sek=Decimal("812.50"))
    )
    body = {"patient_id": world.patient.id,
            "lines": [{"prescription_id": world.rx.id, "packs": 1}]}  # fmt: skip
    headers = bearer(world.prescriber)
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201
    return world, response.get_json()["id"]


def _line(client, user, order_id) -> dict:
    response = client.get(f"/api/v1/orders/{order_id}", headers=bearer(user))
    assert response.status_code == 200
    [line] = response.get_json()["lines"]
    return line


def test_the_prescriber_sees_the_price(client, placed):
    world, order_id = placed
    line = _line(client, world.prescriber, order_id)
    assert (line["pack_price_sek"], line["vat_rate"]) == (812.5, 0.25)


@pytest.mark.parametrize("role", ["patient", "depot"])
def test_the_patient_and_the_aids_centre_get_no_price(client, placed, role):
    world, order_id = placed
    if role == "depot":
        user = make_user("depot")
    else:
        user = make_user(role, patients=[world.patient])
    line = _line(client, user, order_id)
    assert (line["pack_price_sek"], line["vat_rate"]) == (None, None)


def test_a_prescriber_of_another_clinic_gets_no_price_of_what_it_did_not_pay(
    client, placed
):
    """A patient cared for at two clinics: the other clinic's prescriber reads
    the order (care relationship), but its lines were paid by the clinic that
    prescribed them, and a prescriber sees the own clinic's costs only (as
    the patient's overview shows them, `own_clinic_costs`)."""
    from datetime import date

    from sesamlike.extensions import db
    from sesamlike.patients.models import CareRelationship

    world, order_id = placed
    other = make_clinic("OTHER")
    world.patient.care_relationships.append(
        CareRelationship(clinic_id=other.id, started_on=date(2024, 1, 1))
    )
    db.session.commit()
    colleague = make_user("prescriber", clinics=[other])

    line = _line(client, colleague, order_id)

    assert (line["pack_price_sek"], line["vat_rate"]) == (None, None)
    # Both clinics' prescriber sees it.
    both = make_user("prescriber", clinics=[other, world.clinic])
    assert _line(client, both, order_id)["pack_price_sek"] == 812.5
