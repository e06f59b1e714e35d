"""What each resource type is in our tables: its rows, its patient, who may read it.

Reads and searches go through `patients.access` (the same rules as /api/v1): a row
is found only when its patient is visible to the user, and every read or search
that returns a patient's data writes an audit row for that patient. The aids
centre reads only the rows it handles (`Kind.depot_rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.api.fhir import resources as r
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import depot_scope
from sesamlike.orders.models import (
    LineStatus,
    Order,
    OrderLine,
)
from sesamlike.patients import access
from sesamlike.patients.models import CareRelationship, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device

# Who reads what, as in interfaces.md "Who may read what through the API": the
# patient's record for care; orders and devices also for the aids centre.
CARE = frozenset({Role.PRESCRIBER, Role.PATIENT, Role.GUARDIAN})
CARE_AND_DEPOT = CARE | {Role.DEPOT}
ANYONE = frozenset(Role)

DELIVERED = [LineStatus.SHIPPED, LineStatus.DELIVERED, LineStatus.RETURNED]


@dataclass(frozen=True)
class Kind:
    """One resource type: its table, how rows reach their patient, its mapper."""

    name: str
    readers: frozenset[str]
    query: Callable[[], sa.Select]
    patient_column: sa.ColumnElement | None
    id_column: sa.ColumnElement
    render: Callable[[Sequence, r.Viewer], list[dict]]
    since: Callable[[datetime], sa.ColumnElement[bool]] | None = None
    search_params: tuple[str, ...] = ("patient",)
    interactions: tuple[str, ...] = ("read", "search-type")
    notes: dict[str, str] = field(default_factory=dict)
    # The rows the depot role may read of those of its visible patients (None: all).
    depot_rows: Callable[[], sa.ColumnElement[bool]] | None = None

    def rows_for(self, user: User) -> sa.Select:
        """The query of this type's rows, narrowed to what the user's role handles."""
        query = self.query()
        if user.role == Role.DEPOT and self.depot_rows is not None:
            query = query.where(self.depot_rows())
        return query


def _patients() -> sa.Select:
    return sa.select(Patient).options(
        selectinload(Patient.addresses),
        selectinload(Patient.care_relationships).selectinload(CareRelationship.clinic),
    )


def _prescriptions() -> sa.Select:
    return sa.select(Prescription).options(
        selectinload(Prescription.article),
        selectinload(Prescription.prescriber),
        selectinload(Prescription.clinic),
    )


def _lines() -> sa.Select:
    return (
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .options(
            selectinload(OrderLine.order).selectinload(Order.placed_by),
            # The delivery mode in force (orders.shipto): the patient's
            # protection, and for a protected one the order's lines' channels.
            selectinload(OrderLine.order).selectinload(Order.patient),
            selectinload(OrderLine.order).selectinload(Order.lines),
            selectinload(OrderLine.article),
        )
    )


def _delivered_lines() -> sa.Select:
    return _lines().where(
        OrderLine.status.in_(DELIVERED),
        sa.or_(OrderLine.shipped_at.is_not(None), OrderLine.delivered_on.is_not(None)),
    )


def _dispensed_lines() -> sa.Select:
    return _delivered_lines().where(
        OrderLine.article_id.in_(
            sa.select(Article.id).where(Article.category.in_(DEVICE_CATEGORIES))
        )
    )


def _render_dispenses(lines: Sequence[OrderLine], viewer: r.Viewer) -> list[dict]:
    """Each dispensed line with the Device row of its serial number, in one query."""
    keys = {(line.article_id, line.serial_no) for line in lines if line.serial_no}
    devices: dict = {}
    if keys:
        rows = db.session.scalars(
            sa.select(Device).where(
                sa.tuple_(Device.article_id, Device.serial_no).in_(list(keys))
            )
        )
        devices = {(d.article_id, d.serial_no): d for d in rows}
    return [
        r.device_dispense(line, devices.get((line.article_id, line.serial_no)), viewer)
        for line in lines
    ]


def _day(moment: datetime) -> date:
    return moment.date()


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "Patient",
            CARE,
            _patients,
            Patient.id,
            Patient.id,
            lambda rows, viewer: [r.patient(row, viewer) for row in rows],
            since=lambda t: Patient.updated_at >= t,
            search_params=("_id",),
        ),
        Kind(
            "DeviceRequest",
            CARE,
            _prescriptions,
            Prescription.patient_id,
            Prescription.id,
            lambda rows, viewer: [
                r.device_request(row, viewer, region_today()) for row in rows
            ],
            # Written since (made, withdrawn from, a withdrawal given back,
            # cancelled), or ended since (valid_to passed: its status moved).
            since=lambda t: sa.or_(
                Prescription.updated_at >= t,
                Prescription.valid_to.between(_day(t), region_today()),
            ),
        ),
        Kind(
            "SupplyRequest",
            CARE_AND_DEPOT,
            _lines,
            Order.patient_id,
            OrderLine.id,
            lambda rows, viewer: [r.supply_request(row, viewer) for row in rows],
            since=lambda t: OrderLine.updated_at >= t,
            depot_rows=depot_scope.handled_lines,
        ),
        Kind(
            "SupplyDelivery",
            CARE_AND_DEPOT,
            _delivered_lines,
            Order.patient_id,
            OrderLine.id,
            lambda rows, viewer: [r.supply_delivery(row, viewer) for row in rows],
            since=lambda t: OrderLine.updated_at >= t,
            depot_rows=depot_scope.handled_lines,
        ),
        Kind(
            "DeviceDispense",
            CARE_AND_DEPOT,
            _dispensed_lines,
            Order.patient_id,
            OrderLine.id,
            _render_dispenses,
            since=lambda t: OrderLine.updated_at >= t,
        ),
        Kind(
            "Device",
            CARE_AND_DEPOT,
            lambda: sa.select(Device).options(selectinload(Device.article)),
            None,
            Device.id,
            lambda rows, viewer: [r.device(row) for row in rows],
            since=lambda t: sa.or_(
                Device.lent_on >= _day(t), Device.returned_on >= _day(t)
            ),
            search_params=(),
            interactions=("read",),
        ),
        Kind(
            "Organization",
            ANYONE,
            lambda: sa.select(Clinic),
            None,
            Clinic.id,
            lambda rows, viewer: [r.organization(row) for row in rows],
            search_params=(),
            interactions=("read",),
        ),
        Kind(
            "Practitioner",
            ANYONE,
            lambda: sa.select(User).where(
                User.role.in_([Role.PRESCRIBER, Role.MANAGER])
            ),
            None,
            User.id,
            lambda rows, viewer: [r.practitioner(row) for row in rows],
            search_params=(),
            interactions=("read",),
        ),
    )
}


def audit_read(user: User, patient_id: int, what: str) -> None:
    """A FHIR read of a patient's data: audited like the API's, via access.

    The aids centre reads only what it handles (orders, deliveries, devices),
    never the patient's record: need to know (domain.md).
    """
    if user.role == Role.DEPOT:
        access.handled_by_depot(user, patient_id, action="read", detail=f"FHIR {what}")
    else:
        access.get_patient(user, patient_id, action="read", detail=f"FHIR {what}")


def device_patients(device: Device) -> list[int]:
    """The patients a device is or was lent to (its dispensing order lines)."""
    ids = set(
        db.session.scalars(
            sa.select(Order.patient_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                OrderLine.article_id == device.article_id,
                OrderLine.serial_no == device.serial_no,
            )
        )
    )
    if device.patient_id is not None:
        ids.add(device.patient_id)
    return sorted(ids)


def visible_patient_ids(user: User, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Patient.id).where(
                Patient.id.in_(ids), access.visible_patient_filter(user)
            )
        )
    )
