"""A request's transaction that only read ends with COMMIT (common.transaction_ends).

psycopg drops every statement it prepared on a connection at each ROLLBACK; a
page that read after its last commit rolled back at its end, so the portal's
statements were never kept prepared for long.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent
from sesamlike.common import transaction_ends
from sesamlike.extensions import db
from tests.conftest import is_postgres
from tests.factories import make_delivery
from tests.portal_data import TODAY, make_region

# What a request's end commits holds on both databases; only what it is for,
# psycopg's prepared statements, is PostgreSQL's.
postgresql_only = pytest.mark.skipif(
    not is_postgres(), reason="psycopg's prepared statements: PostgreSQL only"
)

PREPARE_THRESHOLD = 5  # psycopg prepares a statement from its fifth run on


@pytest.fixture
def region():
    return make_region()


def ends_of(engine, send) -> list[str]:
    """How the transactions `send` runs end, in order."""
    ends = []

    def commit(_conn):
        ends.append("commit")

    def rollback(_conn):
        ends.append("rollback")

    sa.event.listen(engine, "commit", commit)
    sa.event.listen(engine, "rollback", rollback)
    try:
        send()
    finally:
        sa.event.remove(engine, "commit", commit)
        sa.event.remove(engine, "rollback", rollback)
    return ends


def prepared_on_the_pools_last_connection() -> int:
    """Statements prepared on the connection the last request used (the pool
    hands out the most recently returned first)."""
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements"
        ).scalar_one()


@postgresql_only
def test_a_page_that_reads_after_its_commit_keeps_its_prepared_statements(
    client, auth, region
):
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=5))
    auth.login("ella")
    db.session.rollback()  # the test's own connection back to the pool first
    ends = ends_of(db.engine, lambda: client.get("/portal/orders"))
    # The orders list commits its audit row, then the template reads on.
    assert ends == ["commit", "commit"], ends
    for _ in range(PREPARE_THRESHOLD + 2):
        assert client.get("/portal/orders").status_code == 200
    assert prepared_on_the_pools_last_connection() > 0


def test_a_transaction_that_wrote_is_not_committed_at_the_end(app, region):
    with app.test_request_context():
        db.session.execute(
            sa.insert(AuditEvent).values(
                user_id=region.patient_user.id, role="patient", action="read",
                object_type="patient", object_id=region.patient.id,
                patient_id=region.patient.id,
            )
        )  # fmt: skip
        assert transaction_ends.commit_if_only_read() is False
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_a_change_not_yet_flushed_is_not_committed_at_the_end(app, region):
    with app.test_request_context():
        patient = db.session.get(type(region.patient), region.patient.id)
        patient.phone = "070-000 00 00"
        assert transaction_ends.commit_if_only_read() is False
        db.session.rollback()
    db.session.expire_all()
    assert region.patient.phone != "070-000 00 00"


def test_a_transaction_that_only_read_is_committed(app, region):
    with app.test_request_context():
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        assert transaction_ends.commit_if_only_read() is True
        assert not db.session().in_transaction()


def test_audit_rows_waiting_for_the_commit_are_not_committed_at_the_end(app, region):
    """Rows a commit would write (audit rows wait in the session until its
    before_commit) of a change leave the transaction to roll back; only the
    rows of reads are committed (tests/functional/test_reads_on_refused_forms)."""
    with app.test_request_context():
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        audit.record(
            "update", "patient", patient_id=region.patient.id,
            object_id=region.patient.id, user=region.patient_user,
        )  # fmt: skip
        assert transaction_ends.commit_if_only_read() is False
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_a_commit_of_only_reads_that_fails_at_the_end_is_rolled_back_not_raised(
    app, region, monkeypatch
):
    def fail():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost"))

    with app.test_request_context():
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        monkeypatch.setattr(db.session(), "commit", fail)
        assert transaction_ends.commit_if_only_read() is False
        assert not db.session().in_transaction()
