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


def test_the_prices_payers_are_read_in_one_statement_however_many_lines(client):
    """Who pays each line is read for all lines at once, not one query a line."""
    import sqlalchemy as sa

    from sesamlike.extensions import db
    from tests.factories import make_prescription

    clinic = make_clinic("OWN")
    world = make_prescribed(clinic, make_article("INF-9"))
    more = [make_prescription(world.patient, make_article(f"A{n}"), clinic=clinic)
            for n in range(4)]  # fmt: skip
    db.session.commit()
    headers = bearer(world.prescriber)

    def statements_of_get(rxs) -> int:
        lines = [{"prescription_id": rx.id, "packs": 1} for rx in rxs]
        body = {"patient_id": world.patient.id, "lines": lines}
        order = client.post("/api/v1/orders", json=body, headers=headers)
        assert order.status_code == 201, order.get_json()
        seen = []
        count = lambda *_args, **_kw: seen.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            client.get(f"/api/v1/orders/{order.get_json()['id']}", headers=headers)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    one = statements_of_get([more[0]])
    assert statements_of_get([world.rx, *more[1:]]) == one
