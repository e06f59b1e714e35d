"""The audit log: one row for every read or write of a patient's data."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from sesamlike.accounts.models import NO_CLINIC_ROLES, AuditEvent, User
from sesamlike.common import transaction_ends
from sesamlike.common.time import utcnow
from sesamlike.extensions import db


def record(
    action: str,
    object_type: str,
    *,
    patient_id: int | None,
    object_id: object | None = None,
    user: User | None = None,
    detail: str | None = None,
    clinic_code: str | None = None,
) -> SimpleNamespace | AuditEvent:
    """Add an audit row to the session; it commits with the use case it belongs to.

    `clinic_code` is the clinic the user acted for; by default the user's clinic
    when they have exactly one (the patient's access log names it).

    The row waits in the session until the transaction commits, and then all of
    the request's rows go in together (one INSERT) in that same transaction; a
    rollback (or closing the session) drops them with everything else the
    use case wrote. They wait as plain values and go in as a Core INSERT, not
    as ORM objects through the unit of work: nothing reads them back, and the
    flush of one object cost a portal page more than its query. Inside a
    savepoint (`begin_nested`) the row joins the session at once, as an ORM
    object: a savepoint that rolls back drops only the rows written inside it.
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    remote_addr = channel = None
    if has_request_context():
        remote_addr = request.remote_addr
        channel = _channel(request.path)
    values = {
        "at": utcnow(),
        "user_id": user.id if user else None,
        "role": user.role if user else None,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "patient_id": patient_id,
        "clinic_code": clinic_code or acting_clinic_code(user),
        "remote_addr": remote_addr,
        "channel": channel or "cli",
        "detail": detail[:500] if detail else None,
    }
    session = db.session()
    if session.in_nested_transaction():
        event = AuditEvent(**values)
        session.add(event)
        return event
    pending = SimpleNamespace(**values)  # its fields may change until the commit
    session.info.setdefault(PENDING, []).append(pending)
    return pending


def record_on_login(
    action: str, login: User, *, user: User | None, detail: str | None
) -> None:
    """An act on a login (object type "user"): a patient's or guardian's login
    is recorded once for each patient it acts for, so the act shows in their
    access log; a staff login once, with no patient."""
    patient_ids = _patients_of_login(login) if login.role in NO_CLINIC_ROLES else []
    for patient_id in patient_ids or [None]:
        record(
            action, "user", patient_id=patient_id, object_id=login.id, user=user,
            detail=detail,
        )  # fmt: skip


def _patients_of_login(login: User) -> list[int]:
    if _PATIENTS_OF_LOGIN is None:
        raise RuntimeError("accounts.audit: no register_patients_of_login at start")
    return _PATIENTS_OF_LOGIN(login)


_PATIENTS_OF_LOGIN: Callable[[User], list[int]] | None = None


def register_patients_of_login(find: Callable[[User], list[int]]) -> None:
    """The patients a patient's or guardian's login acts for: the patients
    area knows (`patients.links.patients_of_login`). Given at app start."""
    global _PATIENTS_OF_LOGIN
    _PATIENTS_OF_LOGIN = find


PENDING = "sesamlike_audit_pending"
# What a user looked at, as against what they changed. The read happened
# whatever came after it: its row survives a rollback of a refused write
# (`transaction_ends.rollback_keeping_reads`), and a request that only read
# commits it at its end (a form shown again with its errors shows the patient).
# Besides these, every action named read_… (read_orders, read_my_aids, …).
READS = frozenset({"read", "search", "worklist", "act_for", "list_children"})


def _is_read(row) -> bool:
    return row.action in READS or row.action.startswith("read_")


def read_waiting(patient_id: int) -> bool:
    """Whether a read of this patient waits in the session for its commit."""
    return any(
        row.patient_id == patient_id and _is_read(row)
        for row in db.session().info.get(PENDING, ())
    )


transaction_ends.writes_at_commit(PENDING, survives_rollback=_is_read)


_INSERT = sa.insert(AuditEvent.__table__)


def add_pending(session) -> None:
    """before_commit: the transaction's audit rows go in (one INSERT), after
    what the use case still has to flush (a row may name a user it created)."""
    pending = session.info.pop(PENDING, None)
    if pending:
        session.flush()
        # One statement: a single row executes as itself, several as one
        # multi-row INSERT.
        session.execute(_INSERT, [vars(row) for row in pending])


def drop_pending(session, transaction) -> None:
    """after_transaction_end: a transaction that ends without its commit (a
    rollback, or the session closed) takes its audit rows with it; a commit
    has taken them already. Not a savepoint's end: the rows recorded before a
    savepoint that rolls back stay (the reads they log happened)."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _channel(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/fhir/"):
        return "fhir"
    return "web"


def acting_clinic_code(user: User | None) -> str | None:
    """The clinic a user acts for when they have exactly one, else None (and
    None for patients and guardians, who act for no clinic)."""
    if user is None or user.role in NO_CLINIC_ROLES:
        return None
    if not user.clinics or len(user.clinics) != 1:
        return None
    return user.clinics[0].code


class AuditLogImmutable(RuntimeError):
    """An attempt to change or delete an audit row: the log is append-only."""


def refuse_audit_changes(session, flush_context, instances) -> None:
    """before_flush: audit rows may be added, never changed or deleted."""
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditLogImmutable(f"audit event {obj.id} may not be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditLogImmutable(f"audit event {obj.id} may not be changed")


sa_event.listen(Session, "before_flush", refuse_audit_changes)
sa_event.listen(Session, "before_commit", add_pending)
sa_event.listen(Session, "after_transaction_end", drop_pending)
