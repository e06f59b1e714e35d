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
    assert (
        "Silhouette infusionsset 13 mm/60 cm, 10 st (100102) är inte förstahandsval"
        in (text_of(response))
    )
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


def test_every_kind_of_read_survives_a_refused_write(app, setup):
    """The portal's and the work lists' reads have actions of their own."""
    patient = setup["patient"]
    with app.test_request_context():
        for action in ("read_orders", "read_my_aids", "worklist", "act_for"):
            audit.record(action, "patient", patient_id=patient.id, user=setup["nurse"])
        audit.record(
            "cancel_order", "order", patient_id=patient.id, user=setup["nurse"]
        )
        transaction_ends.rollback_keeping_reads()
        assert transaction_ends.commit_if_only_read() is True
    assert [action for action, _type, _channel in rows(patient)] == [
        "read_orders",
        "read_my_aids",
        "worklist",
        "act_for",
    ]


def test_a_refused_order_keeps_the_reads_before_it_but_not_a_change(app, setup):
    """place_order's refusal put back every row that waited before it, a
    change's among them, and committed it without its change."""
    from sesamlike.common.errors import DomainError
    from sesamlike.orders.services import order_options, place_order

    patient, nurse = setup["patient"], setup["nurse"]
    with app.test_request_context():
        order_options(nurse, patient.id, commit=False)
        audit.record("update", "patient", patient_id=patient.id, user=nurse)
        try:
            place_order(nurse, patient.id, [(999_999, 1)], "home")
        except DomainError:
            pass
        else:
            raise AssertionError("an unknown prescription was ordered")
    assert rows(patient) == [("read", "patient", "web")]


def test_a_form_whose_read_cannot_be_logged_is_not_shown(
    app, client, auth, setup, monkeypatch
):
    """The audit row of a form shown again goes in at the request's end; if it
    cannot, the page is the error page, not the patient's data unlogged."""
    auth.login("nurse")
    commit = sa.orm.Session.commit

    def failing_commit(session):
        if session.info.get(audit.PENDING):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))
        return commit(session)

    monkeypatch.setattr(sa.orm.Session, "commit", failing_commit)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.post(
        new_url(setup["patient"]), data=form_data(packs_per_withdrawal="två")
    )
    assert response.status_code == 500
    assert "Astrid" not in text_of(response)
    assert rows(setup["patient"]) == []
