"""A form shown again with its errors shows the patient: its read is audit-logged.

The prescriber's "new prescription" and kit forms read the patient, and left
the read's audit row waiting for the commit of the prescription. A form shown
again (422, or a refusal of the prescription) never committed, and the row was
dropped with the rollback: the patient's access log missed a read of their
data. Only the read is kept; nothing of the refused prescription is.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent
from sesamlike.common import transaction_ends
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from tests.functional.test_clinic_pages import MM640, clinic, kit_form, kit_url, text_of
from tests.functional.test_prescription_pages import form_data, new_url, setup

__all__ = ["clinic", "setup"]  # fixtures


def rows(patient) -> list[tuple[str, str, str | None]]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type, AuditEvent.channel)
        .where(AuditEvent.patient_id == patient.id)
        .order_by(AuditEvent.id)
    ).all()


def test_a_new_prescription_form_shown_again_logs_the_read(client, auth, setup):
    auth.login("nurse")
    patient = setup["patient"]
    response = client.post(new_url(patient), data=form_data(packs_per_withdrawal="två"))
    assert response.status_code == 422
    assert "Astrid" in text_of(response)  # the patient is on the page
    assert rows(patient) == [("read", "patient", "web")]
    assert db.session.scalar(sa.select(sa.func.count(Prescription.id))) == 0


def test_a_refused_prescription_logs_the_read_and_nothing_else(client, auth, setup):
    auth.login("nurse")
    patient = setup["patient"]
    response = client.post(new_url(patient), data=form_data(article_no="NOSUCH"))
    assert response.status_code == 422
    assert "Astrid" in text_of(response)
    assert rows(patient) == [("read", "patient", "web")]
    assert db.session.scalar(sa.select(sa.func.count(Prescription.id))) == 0


def test_a_kit_form_shown_again_logs_the_read(client, clinic):
    patient = clinic.patient
    data = kit_form(text_of(client.get(kit_url(patient))))
    assert rows(patient) == [("read", "patient", "web")]  # the form's first showing
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-0-packs_per_withdrawal"] = "ett"
    response = client.post(kit_url(patient), data=data)
    assert response.status_code == 422
    assert "Nora" in text_of(response)
    assert rows(patient) == [("read", "patient", "web")] * 2


def test_a_refused_kit_logs_the_read_and_nothing_else(client, clinic):
    patient = clinic.patient
    data = kit_form(text_of(client.get(kit_url(patient, MM640))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-1-article_no"] = "100102"  # not first choice, and no reason given
    response = client.post(kit_url(patient), data=data)
    assert response.status_code == 422
    assert "Artikeln 100102 är inte förstahandsval" in text_of(response)
    assert rows(patient) == [("read", "patient", "web")] * 2
    assert db.session.scalar(sa.select(sa.func.count(Prescription.id))) == 0


def test_a_request_that_only_read_commits_its_reads_not_its_changes(app, setup):
    patient = setup["patient"]
    with app.test_request_context():
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        audit.record("read", "patient", patient_id=patient.id, user=setup["nurse"])
        assert transaction_ends.commit_if_only_read() is True
    assert rows(patient) == [("read", "patient", "web")]
    with app.test_request_context():
        audit.record("update", "patient", patient_id=patient.id, user=setup["nurse"])
        assert transaction_ends.commit_if_only_read() is False
        db.session.rollback()
    assert rows(patient) == [("read", "patient", "web")]


def test_a_refused_write_keeps_the_reads_before_it(app, setup):
    patient = setup["patient"]
    with app.test_request_context():
        audit.record("read", "patient", patient_id=patient.id, user=setup["nurse"])
        patient.phone = "070-000 00 00"
        audit.record("update", "patient", patient_id=patient.id, user=setup["nurse"])
        db.session.flush()
        transaction_ends.rollback_keeping_reads()
        assert transaction_ends.commit_if_only_read() is True
    assert rows(patient) == [("read", "patient", "web")]
    assert db.session.get(type(patient), patient.id).phone != "070-000 00 00"
