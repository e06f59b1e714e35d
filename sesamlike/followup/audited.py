"""One audit row per patient shown or exported, written in bulk.

The same row `accounts.audit.record` writes, as one multi-row insert: an export
of a whole region names 100,000 patients, and ORM objects for each would be the
slowest part of it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from sesamlike.accounts.audit import acting_clinic_code
from sesamlike.accounts.models import AuditEvent, User
from sesamlike.common.time import utcnow
from sesamlike.extensions import db


def record_many(
    action: str,
    object_type: str,
    patient_ids: Iterable[int],
    *,
    user: User | None = None,
    detail: str | None = None,
    channel: str | None = None,
) -> int:
    """Add one audit row per patient to the current transaction.

    `channel`: where the data went, for a job that works for a request made
    earlier (the FHIR export's "fhir"); by default the request's, else "cli".
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    remote_addr, found = None, "cli"
    if has_request_context():
        remote_addr = request.remote_addr
        found = "api" if request.path.startswith("/api/") else "web"
    channel = channel or found
    now = utcnow()
    clinic_code = acting_clinic_code(user)
    rows = [
        dict(
            at=now,
            user_id=user.id if user else None,
            role=user.role if user else None,
            action=action,
            object_type=object_type,
            object_id=str(patient_id),
            patient_id=patient_id,
            clinic_code=clinic_code,
            remote_addr=remote_addr,
            channel=channel,
            detail=detail[:500] if detail else None,
        )
        for patient_id in dict.fromkeys(patient_ids)
    ]
    if rows:
        db.session.connection().execute(sa.insert(AuditEvent.__table__), rows)
    return len(rows)
