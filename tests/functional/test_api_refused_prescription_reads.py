"""A refused API prescription that tells about the patient logs the read.

POST /prescriptions answered 422 incompatible_system names the patient's pump
(or says they have none); POST /prescriptions/kit refuses a nurse the start of
CGM, which says the patient has no CGM yet; POST /prescriptions/{id}/renew
answered 409 says the prescription is cancelled. Nothing of the prescription is
written, but the patient's access log has the read.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from tests.factories import make_clinic, make_patient, make_user
from tests.functional.test_api_basics import bearer
from tests.functional.test_api_prescribing_rules import TODAY, prescribe, region

__all__ = ["region"]  # fixture


def access_rows(patient) -> list[tuple[str, str]]:
    """The patient's audit rows (action, channel), oldest first."""
    db.session.expire_all()
    return db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.channel)
        .where(AuditEvent.patient_id == patient.id)
        .order_by(AuditEvent.id)
    ).all()


def _prescriptions() -> int:
    return db.session.scalar(sa.select(sa.func.count(Prescription.id)))


def test_an_incompatible_article_logs_the_read_of_the_patients_pumps(client, region):
    assert (
        prescribe(client, region.doctor, region.patient, "100001", 1, 1).status_code
        == 201
    )
    before, rows = _prescriptions(), access_rows(region.patient)

    response = prescribe(client, region.doctor, region.patient, "300101", 3)

    assert response.status_code == 422
    assert "MiniMed 640G" in response.get_json()["error"]["message"]
    assert _prescriptions() == before
    assert access_rows(region.patient) == [*rows, ("read", "api")]


def test_a_refused_kit_logs_the_read(client, region):
    rows = access_rows(region.patient)
    body = {"patient_id": region.patient.id, "system": "FreeStyle Libre 2",
            "valid_from": TODAY.isoformat()}  # fmt: skip

    response = client.post(
        "/api/v1/prescriptions/kit", json=body, headers=bearer(region.nurse)
    )

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "first_prescription_right_required"
    assert _prescriptions() == 0
    assert access_rows(region.patient) == [*rows, ("read", "api")]


def test_renewing_a_cancelled_prescription_logs_the_read(client, region):
    made = prescribe(client, region.doctor, region.patient, "500001", 7).get_json()
    headers = bearer(region.doctor)
    cancel = client.post(f"/api/v1/prescriptions/{made['id']}/cancel", headers=headers)
    assert cancel.status_code == 200
    rows = access_rows(region.patient)

    response = client.post(
        f"/api/v1/prescriptions/{made['id']}/renew", json={}, headers=headers
    )

    assert response.status_code == 409
    assert _prescriptions() == 1
    assert access_rows(region.patient) == [*rows, ("read", "api")]


def test_a_patient_out_of_reach_is_404_without_a_row(client, region):
    stranger = make_patient(make_clinic("ELSE"))
    other = make_user("prescriber", clinics=[stranger.care_relationships[0].clinic])
    assert other  # a prescriber elsewhere, so the stranger is somebody's patient

    response = prescribe(client, region.doctor, stranger, "500001", 7)

    assert response.status_code == 404
    assert access_rows(stranger) == []
