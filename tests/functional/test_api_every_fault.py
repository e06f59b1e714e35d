"""The API's renew, kit and order operations answer every bad field at once:
the schema's faults and the rules' faults of the fields that passed it, in one
422 (as POST /patients and POST /prescriptions do)."""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order
from sesamlike.prescriptions.models import Prescription
from tests.factories import (
    load_demo_catalogue,
    make_article,
    make_clinic,
    make_patient,
    make_prescribed,
    make_prescription,
    make_pump_user,
    make_system,
    make_user,
)
from tests.functional.test_api_basics import assert_error_format, bearer

TODAY = region_today()
UNKNOWN_REASON = (
    "Okänd orsakskod. Välj medicinska skäl, fungerar inte för patienten, "
    "patientens önskemål eller annat."
)
BAD_CENTRE = (
    "Kostnadsstället ska vara högst 20 tecken: bokstäver, siffror, bindestreck."
)


def written() -> tuple[int, int, int]:
    changes = sa.select(AuditEvent.id).where(AuditEvent.action != "read").subquery()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Prescription, Order, changes)
    )


def fields_of(response) -> dict:
    assert_error_format(response, 422, "invalid")
    return response.get_json()["error"]["fields"]


def test_renew_answers_the_schemas_and_the_rules_faults_at_once(client):
    """withdrawals "fyra" was answered alone; the lock below 0, the unknown
    reason code and the cost centre with a space came one request later."""
    clinic = make_clinic("OWN")
    nurse = make_user("prescriber", clinics=[clinic])
    patient = make_patient(clinic)
    system = make_system("MiniMed 640G")
    make_pump_user(patient, systems=[system])
    old = make_prescription(patient, make_article(systems=[system]))
    before = written()
    response = client.post(
        f"/api/v1/prescriptions/{old.id}/renew",
        json={
            "withdrawals": "fyra",
            "lock_days": -5,
            "reason_code": "whim",
            "cost_centre": "KS 1",
        },
        headers=bearer(nurse),
    )
    assert fields_of(response) == {
        "withdrawals": ["Ange ett heltal."],
        "lock_days": ["Spärrtiden ska vara 0 dagar till hela perioden."],
        "reason_code": [UNKNOWN_REASON],
        "cost_centre": [BAD_CENTRE],
    }
    assert written() == before


def test_renew_of_a_prescription_out_of_reach_says_only_the_schemas_faults(client):
    clinic, other = make_clinic("OWN"), make_clinic("OTHER")
    nurse = make_user("prescriber", clinics=[clinic])
    old = make_prescription(make_patient(other), make_article())
    response = client.post(
        f"/api/v1/prescriptions/{old.id}/renew",
        json={"withdrawals": "fyra", "lock_days": -5},
        headers=bearer(nurse),
    )
    assert fields_of(response) == {"withdrawals": ["Ange ett heltal."]}


def kit_world():
    load_demo_catalogue()
    clinic = make_clinic("NORR")
    doctor = make_user("prescriber", clinics=[clinic], first_time_prescriber=True)
    return doctor, make_patient(clinic)


def line(article_no, packs=3, withdrawals=4, period_days=90, **kw):
    return {
        "article_no": article_no,
        "packs_per_withdrawal": packs,
        "withdrawals": withdrawals,
        "period_days": period_days,
        **kw,
    }


def test_kit_answers_the_schemas_and_the_rules_faults_at_once(client):
    """A start as "1/2" and packs as words were answered; 5000 packs of
    reservoirs, 500 withdrawals of batteries and the cost centre with a space
    were not."""
    doctor, patient = kit_world()
    before = written()
    response = client.post(
        "/api/v1/prescriptions/kit",
        json={
            "patient_id": patient.id,
            "system": "MiniMed 640G",
            "valid_from": "1/2",
            "cost_centre": "KS 1",
            "lines": [
                line("100001", packs=1, withdrawals=1, period_days=365),
                line("100101", packs="tre"),
                line("100201", packs=5000),
                line("900001", packs=1, withdrawals=500),
            ],
        },
        headers=bearer(doctor),
    )
    assert fields_of(response) == {
        "valid_from": ["Ange ett datum som ÅÅÅÅ-MM-DD."],
        "lines.1.packs_per_withdrawal": ["Ange ett heltal."],
        "lines.2.packs_per_withdrawal": ["Ange 1–999 förpackningar per uttag."],
        "lines.3.withdrawals": ["Ange 1–99 uttag."],
        "cost_centre": [BAD_CENTRE],
    }
    assert written() == before


def test_kit_with_an_unknown_system_and_a_bad_line_says_both(client):
    doctor, patient = kit_world()
    response = client.post(
        "/api/v1/prescriptions/kit",
        json={
            "patient_id": patient.id,
            "system": "MiniMed 999",
            "valid_from": TODAY.isoformat(),
            "lines": [line("100101", packs="tre")],
        },
        headers=bearer(doctor),
    )
    assert fields_of(response) == {
        "system": ["Välj ett system i sortimentet."],
        "lines.0.packs_per_withdrawal": ["Ange ett heltal."],
    }


def test_order_answers_the_schemas_and_the_rules_faults_at_once(client):
    """Packs as words on one line were answered; too many packs on another and
    a prescription the patient does not have came one request later."""
    clinic = make_clinic("OWN")
    world = make_prescribed(clinic, make_article("INF-9"), packs_per_withdrawal=3)
    second = make_prescription(
        world.patient, make_article("RES-1"), packs_per_withdrawal=2
    )
    before = written()
    response = client.post(
        "/api/v1/orders",
        json={
            "patient_id": world.patient.id,
            "lines": [
                {"prescription_id": world.rx.id, "packs": "två"},
                {"prescription_id": second.id, "packs": 5},
                {"prescription_id": 999999, "packs": 1},
            ],
            "delivery_mode": "home",
        },
        headers=bearer(world.prescriber),
    )
    assert fields_of(response) == {
        "lines.0.packs": ["Ange ett heltal."],
        "lines.1.packs": ["För många förpackningar."],
        "lines.2.prescription_id": ["Okänd förskrivning."],
    }
    assert written() == before


def test_order_without_schema_faults_names_every_line_at_fault(client):
    """An unknown prescription on line 0 was answered alone; line 1's packs
    above the prescription's came only once it was mended."""
    clinic = make_clinic("OWN")
    world = make_prescribed(clinic, make_article("INF-9"), packs_per_withdrawal=3)
    response = client.post(
        "/api/v1/orders",
        json={
            "patient_id": world.patient.id,
            "lines": [
                {"prescription_id": 999999, "packs": 1},
                {"prescription_id": world.rx.id, "packs": 5},
            ],
        },
        headers=bearer(world.prescriber),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "lines.0.prescription_id": ["Okänd förskrivning."],
        "lines.1.packs": ["För många förpackningar."],
    }
