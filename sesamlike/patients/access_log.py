"""A patient's own access log: every read and write of their data, newest first.

Read by the patient, or by a guardian who may act for the child (never for a
child with protected identity); reading it is itself logged. Staff show by role
and clinic, never by name (as in 1177's Journalen).
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, Role, User
from sesamlike.common.errors import Forbidden
from sesamlike.extensions import db
from sesamlike.patients import access

READERS = frozenset({Role.PATIENT, Role.GUARDIAN})


def events(user: User, patient_id: int) -> list[AuditEvent]:
    """The patient's audit rows, newest first; the read is audited (not committed)."""
    if user.role not in READERS:
        raise Forbidden()
    patient = access.get_patient(user, patient_id, detail="access log")
    with db.session.no_autoflush:  # this read is logged, and listed next time
        return list(
            db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.patient_id == patient.id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            )
        )
