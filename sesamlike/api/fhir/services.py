"""Read and search: the role gate, the need-to-know filter, the audit row, paging."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from sesamlike.accounts.models import Role, User
from sesamlike.api.fhir import queries
from sesamlike.api.fhir.outcome import FhirError
from sesamlike.api.fhir.queries import KINDS, Kind
from sesamlike.api.fhir.resources import Viewer
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.patients import access
from sesamlike.patients.models import Patient
from sesamlike.stock.models import Device

DEFAULT_COUNT = 50
MAX_COUNT = 500
# An id as we write it, matched whole (fullmatch: `$` would let "3\n" through):
# no leading zero, so "03" is not another name for 3.
_ID = re.compile(r"0|[1-9][0-9]{0,9}")
_PATIENT = re.compile(r"(?:Patient/)?(0|[1-9][0-9]{0,9})")


@dataclass(frozen=True)
class Page:
    resources: list[dict]
    total: int
    offset: int
    count: int


def kind_for(user: User, resource_type: str, interaction: str) -> Kind:
    """The resource type, if we serve it and this role may use it (else 404/403)."""
    kind = KINDS.get(resource_type)
    if kind is None or interaction not in kind.interactions:
        raise FhirError(
            404, N_("Resurstypen {type} stöds inte här."), type=resource_type
        )
    if user.role not in kind.readers:
        raise FhirError(403)
    return kind


def viewer_for(user: User) -> Viewer:
    return Viewer.for_user(user, access.can_see_contact)


def read(user: User, resource_type: str, resource_id: str) -> dict:
    """One resource whose patient the user may see; audited as a read of them."""
    kind = kind_for(user, resource_type, "read")
    if not _ID.fullmatch(resource_id) or int(resource_id) > 2**31 - 1:
        raise FhirError(404)
    ident = int(resource_id)
    if resource_type == "Device":
        row = _visible_device(user, ident)
    else:
        query = kind.rows_for(user).where(kind.id_column == ident)
        if kind.patient_column is not None:
            query = query.where(kind.patient_column.in_(_visible_ids(user)))
        row = db.session.scalars(query).first()
        if row is None:
            raise FhirError(404)
        if kind.patient_column is not None:
            patient_id = row.id if resource_type == "Patient" else _patient_of(row)
            queries.audit_read(user, patient_id, f"{resource_type}/{ident}")
    resource = kind.render([row], viewer_for(user))[0]
    db.session.commit()
    return resource


def search(
    user: User, resource_type: str, params: dict[str, str], offset: int, count: int
) -> Page:
    """A patient's resources of one type: empty when the patient is not visible."""
    kind = kind_for(user, resource_type, "search-type")
    (name,) = kind.search_params
    match = _PATIENT.fullmatch(params.get(name, ""))
    if match is None:
        raise FhirError(400, N_("Ange {name}=Patient/id (ett heltal)."), name=name)
    patient_id = int(match.group(1))
    if patient_id > 2**31 - 1 or not queries.visible_patient_ids(user, [patient_id]):
        return Page([], 0, offset, count)
    queries.audit_read(user, patient_id, f"{resource_type}?{name}={patient_id}")
    query = kind.rows_for(user).where(kind.patient_column == patient_id)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    rows = []
    if count:
        rows = db.session.scalars(
            query.order_by(kind.id_column).offset(offset).limit(count)
        ).all()
    resources = kind.render(rows, viewer_for(user))
    db.session.commit()
    return Page(resources, total or 0, offset, count)


def _visible_ids(user: User) -> sa.Select:
    return sa.select(Patient.id).where(access.visible_patient_filter(user))


def _patient_of(row) -> int:
    if hasattr(row, "patient_id"):
        return row.patient_id
    return row.order.patient_id


def _visible_device(user: User, device_id: int) -> Device:
    """A device the aids centre handles, or one lent to a patient the user sees."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise FhirError(404)
    patients = queries.device_patients(device)
    if user.role == Role.DEPOT:
        visible = [device.patient_id] if device.patient_id else []
    else:
        visible = queries.visible_patient_ids(user, patients)
        if not visible:
            raise FhirError(404)
    for patient_id in visible:
        queries.audit_read(user, patient_id, f"Device/{device_id}")
    return device
