"""`audited.record_many` writes the row `audit.record` writes, once per
patient and in the order given; on PostgreSQL as one statement over the ids
as an array (a region's export of 454,236 patients: 10 s of parameters a row
before), on SQLite a row of parameters each."""

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db
from sesamlike.followup import audited
from tests.factories import make_clinic, make_patient, make_user

COLUMNS = ("user_id", "role", "action", "object_type", "object_id", "patient_id",
           "clinic_code", "remote_addr", "channel", "detail")  # fmt: skip


def rows(**where) -> list[tuple]:
    query = sa.select(*(getattr(AuditEvent, name) for name in COLUMNS))
    return [tuple(row) for row in db.session.execute(
        query.filter_by(**where).order_by(AuditEvent.id))]  # fmt: skip


def test_many_patients_rows_are_each_the_row_record_writes(app):
    clinic = make_clinic("NORR")
    first, second = make_patient(clinic), make_patient(clinic)
    manager = make_user("manager", clinics=[clinic])
    detail = "follow-up drill-down 2026: sort=name " + "x" * 600
    with app.test_request_context("/followup/patients.csv", environ_base={
            "REMOTE_ADDR": "10.1.2.3"}):  # fmt: skip
        written = audited.record_many(
            "export", "patient_year_cost", [second.id, first.id, second.id],
            user=manager, detail=detail,
        )  # fmt: skip
        db.session.commit()
        audit.record("export", "patient_year_cost", patient_id=first.id,
                     object_id=first.id, user=manager, detail=detail[:500],
                     clinic_code=None)  # fmt: skip
        db.session.commit()
    assert written == 2
    found = rows(action="export")
    assert [row[COLUMNS.index("patient_id")] for row in found] == [
        second.id, first.id, first.id]  # fmt: skip
    assert found[1] == found[2]  # as `record` writes it, column for column
    assert found[0][COLUMNS.index("object_id")] == str(second.id)
    assert found[1][:4] == (manager.id, "manager", "export", "patient_year_cost")
    assert found[1][6:9] == ("NORR", "10.1.2.3", "web")
    assert len(found[1][COLUMNS.index("detail")]) == 500


def test_a_job_without_a_user_writes_its_rows_with_the_time_of_the_call(app):
    """Outside a request (a job, the command line): no user, no address,
    channel "cli"; every row the moment of the call, with its time zone."""
    patient = make_patient(make_clinic("NORR"))
    before = utcnow()
    assert audited.record_many("export", "register", [patient.id]) == 1
    db.session.commit()
    [(user_id, role, *_rest, remote_addr, channel, detail)] = rows(action="export")
    assert (user_id, role, remote_addr, channel, detail) == (
        None, None, None, "cli", None)  # fmt: skip
    at = db.session.scalar(sa.select(AuditEvent.at))
    assert before <= stored_utc(at) <= utcnow()


def test_no_patient_writes_no_row(app):
    with app.test_request_context("/"):
        assert audited.record_many("read", "patient_year_cost", []) == 0
    db.session.commit()
    assert rows(action="read") == []
