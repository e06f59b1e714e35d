"""Audit rows wait in the session until commit (accounts.audit): a savepoint
that rolls back drops only the rows written inside it, and closing the session
drops them as a rollback does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, Role
from sesamlike.extensions import db
from tests.conftest import is_postgres
from tests.factories import make_patient, make_role_user


def _actions() -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    )


def test_a_failed_savepoint_keeps_the_reads_audited_before_it():
    user = make_role_user(Role.PRESCRIBER)
    patient = make_patient()
    db.session.commit()
    db.session.scalar(sa.select(sa.literal(1)))  # a transaction is under way
    audit.record("read", "patient", patient_id=patient.id, user=user)
    try:
        with db.session.begin_nested():
            audit.record("write", "patient", patient_id=patient.id, user=user)
            raise ValueError("refused")
    except ValueError:
        pass
    db.session.commit()
    assert _actions() == ["read"]


@pytest.mark.skipif(
    not is_postgres(),
    reason="pysqlite's own transaction handling lets a released SAVEPOINT commit",
)
def test_a_released_savepoint_keeps_its_rows_and_a_rollback_drops_them_all():
    user = make_role_user(Role.PRESCRIBER)
    patient = make_patient()
    db.session.commit()
    db.session.scalar(sa.select(sa.literal(1)))
    audit.record("read", "patient", patient_id=patient.id, user=user)
    with db.session.begin_nested():
        audit.record("write", "patient", patient_id=patient.id, user=user)
    db.session.rollback()
    db.session.commit()
    assert _actions() == []
    db.session.scalar(sa.select(sa.literal(1)))
    audit.record("read", "patient", patient_id=patient.id, user=user)
    with db.session.begin_nested():
        audit.record("write", "patient", patient_id=patient.id, user=user)
    db.session.commit()
    assert sorted(_actions()) == ["read", "write"]  # in one commit: any order


def test_closing_the_session_drops_its_pending_rows():
    user = make_role_user(Role.PRESCRIBER)
    patient = make_patient()
    db.session.commit()
    db.session.scalar(sa.select(sa.literal(1)))
    audit.record("write", "patient", patient_id=patient.id, user=user)
    db.session.close()  # the unit of work is abandoned: nothing it did is kept
    db.session.scalar(sa.select(sa.literal(1)))
    db.session.commit()
    assert _actions() == []
