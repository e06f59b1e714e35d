"""The audit log search for admins (log review under Patientdatalagen).

Filters: patient (personnummer or id), user (username), period; newest first,
paged, CSV export. Looking at the log is itself logged: one audit row per page
or export, with the filters used, and with the patient's id when one is named.
No route changes or deletes audit rows (and the ORM and PostgreSQL refuse to).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Response, render_template, request

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, User
from sesamlike.accounts.navigation import ROLE_NAMES
from sesamlike.admin.views import bp
from sesamlike.common.spreadsheets import csv_text
from sesamlike.extensions import db
from sesamlike.patients.models import Patient

PAGE_SIZE = 50
CSV_COLUMNS = (
    "at", "username", "role", "action", "object_type", "object_id",
    "patient_id", "personal_id", "remote_addr", "channel", "detail",
)  # fmt: skip


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _filters() -> dict:
    return {
        "patient": request.args.get("patient", "").strip(),
        "user": request.args.get("user", "").strip(),
        "from": _day("from"),
        "to": _day("to"),
    }


def _patient_ids(text: str) -> list[int]:
    """A patient by id or by personnummer (with or without the dash)."""
    if not text:
        return []
    digits = text.replace("-", "").replace(" ", "")
    ids = list(
        db.session.scalars(sa.select(Patient.id).where(Patient.personal_id == digits))
    )
    if not ids and text.isdigit() and len(text) < 10:
        ids = [int(text)]
    return ids or [-1]  # a search for an unknown patient finds nothing


def _query(filters: dict, patient_ids: list[int]) -> sa.Select:
    query = (
        sa.select(AuditEvent, User.username, Patient.personal_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
    )
    if patient_ids:
        query = query.where(AuditEvent.patient_id.in_(patient_ids))
    if filters["user"]:
        query = query.where(sa.func.lower(User.username) == filters["user"].lower())
    if filters["from"]:
        query = query.where(
            AuditEvent.at >= datetime.combine(filters["from"], time(), UTC)
        )
    if filters["to"]:
        end = datetime.combine(filters["to"] + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _log_review(filters: dict, patient_ids: list[int], what: str) -> None:
    shown = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in filters.items()
        if v
    }
    audit.record(
        "read", "audit_log",
        patient_id=(
            patient_ids[0] if len(patient_ids) == 1 and patient_ids[0] > 0 else None
        ),
        detail=f"{what} {shown}",
    )  # fmt: skip
    db.session.commit()


@bp.route("/audit", endpoint="audit")
def audit_log():
    """Search the audit log: by patient, user and period, newest first."""
    filters = _filters()
    patient_ids = _patient_ids(filters["patient"])
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = _query(filters, patient_ids)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    _log_review(filters, patient_ids, f"page {page}")
    return render_template(
        "admin/audit.html", rows=rows, filters=filters, page=page, total=total,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), role_names=ROLE_NAMES,
        args={k: v for k, v in request.args.items() if k != "page"},
    )  # fmt: skip


@bp.route("/audit.csv")
def audit_export():
    """The same search as CSV, every matching row."""
    filters = _filters()
    patient_ids = _patient_ids(filters["patient"])
    rows = [
        [event.at, username, event.role, event.action, event.object_type,
         event.object_id, event.patient_id, personal_id, event.remote_addr,
         event.channel, event.detail]
        for event, username, personal_id in db.session.execute(
            _query(filters, patient_ids)
        )
    ]  # fmt: skip
    _log_review(filters, patient_ids, "csv")
    return Response(
        csv_text(CSV_COLUMNS, rows), mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit.csv"},
    )  # fmt: skip
