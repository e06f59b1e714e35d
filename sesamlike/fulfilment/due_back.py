"""Lent devices due back after the end of a patient's care in the region.

When a prescriber registers that a patient died or moved out of the region
(`patients.care_end`), the lent pumps and CGM readers are not written off:
the prescriber is told that the aids centre collects them. This is the aids
centre's list of them: the devices on loan whose patient's care has ended,
the oldest end first, with what the clerk needs to collect each (domain.md,
need to know: the aids centre sees the patients of the devices it handles):

- the patient's name and the address to collect from, the patient's
  delivery address that day (a temporary one in force, else home), never
  the door code or phone;
- a patient with protected identity: no name and no address of theirs, the
  address of the clinic that cared for them instead (the table's "protected
  identity: the clinic's address");
- a deceased patient: the estate and next of kin are not stored, so the
  page says so and names the clinic that cared for them, which can tell.

A pump or reader a supplier delivered to the patient without reporting its
serial number is in no register, yet it is due back as well (the prescriber
was told so): its delivered order line is listed, and taken back under the
serial read off it ("Levererade utan serienummer", found by its order number).

A device taken back into quarantine (`returns.return_device`) is no longer on
loan and drops off the list. Each patient listed on a page is audited as read
by the aids centre (`access.handled_by_depot`), as the registers are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article
from sesamlike.common.paging import Page, page_count
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment.shipping import require_depot
from sesamlike.orders.models import LINE_REFERENCE, LineStatus, Order, OrderLine
from sesamlike.patients import access
from sesamlike.patients.models import CareEndReason, CareRelationship, Patient
from sesamlike.stock.models import Device, DeviceStatus

PER_PAGE = 25
READ_ACTION = "read_devices_due_back"


@dataclass(frozen=True)
class CollectFrom:
    """Where the clerk collects a device: the patient's address, or (protected
    identity) the clinic's; None fields when nothing is stored."""

    name: str | None
    care_of: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    at_clinic: bool = False  # protected identity: the clinic, not the patient

    @property
    def has_address(self) -> bool:
        return bool(self.street)


@dataclass(frozen=True)
class DueBack:
    """One device due back, in plain values read before the page's commit:
    the device (or, delivered by a supplier and never registered, its order
    line), whose care ended when and why, and where to collect it."""

    device_id: int | None  # None: a supplier's delivery not registered
    order_id: int | None  # the delivery's order, for one not registered
    serial_no: str | None
    article_no: str
    article_name: str
    since: date | None  # lent from (registered), else delivered on
    patient_name: str | None  # None: protected identity
    ended_on: date
    reason: str  # patients.models.CareEndReason
    clinic_name: str | None  # the clinic that cared for the patient to the end
    collect_from: CollectFrom

    @property
    def deceased(self) -> bool:
        return self.reason == CareEndReason.DECEASED


_ENDED = Patient.care_ended_reason.is_not(None)
DEVICE, LINE = "device", "line"


def _lent() -> sa.Select:
    """Registered devices on loan to patients whose care has ended."""
    return (
        sa.select(
            sa.literal(DEVICE).label("kind"),
            Device.id.label("id"),
            Patient.id.label("patient_id"),
            Patient.care_ended_on.label("ended_on"),
            Device.lent_on.label("since"),
            Device.serial_no.label("serial_no"),
        )
        .join(Patient, Patient.id == Device.patient_id)
        .where(Device.status == DeviceStatus.ON_LOAN, _ENDED)
    )


def _delivered_unregistered() -> sa.Select:
    """Pumps and readers a supplier delivered to such patients and the
    register never got (`orders.overview.devices_in_use` counts them in use
    too, and the prescriber was told they come back): the delivered line,
    not returned, with no device under its reference or serial."""
    reference = sa.literal(LINE_REFERENCE) + sa.cast(OrderLine.id, sa.String)
    return (
        sa.select(
            sa.literal(LINE).label("kind"),
            OrderLine.id.label("id"),
            Patient.id.label("patient_id"),
            Patient.care_ended_on.label("ended_on"),
            OrderLine.delivered_on.label("since"),
            OrderLine.serial_no.label("serial_no"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Patient, Patient.id == Order.patient_id)
        .join(Article, Article.id == OrderLine.article_id)
        .where(
            _ENDED,
            Article.category.in_(DEVICE_CATEGORIES),
            OrderLine.status == LineStatus.DELIVERED,
            OrderLine.returned_on.is_(None),
            ~sa.exists().where(Device.reference == reference),
            ~sa.exists().where(
                Device.article_id == OrderLine.article_id,
                Device.serial_no == OrderLine.serial_no,
            ),
        )
    )


def due_back_query() -> sa.Select:
    """Devices due back (`_lent`, `_delivered_unregistered`), the oldest end
    first, then by patient and the device lent first."""
    both = sa.union_all(_lent(), _delivered_unregistered()).subquery()
    return sa.select(both).order_by(
        both.c.ended_on, both.c.patient_id, both.c.since, both.c.serial_no,
        both.c.kind, both.c.id,
    )  # fmt: skip


def devices_due_back(user: User, page: int = 1, *, today: date | None = None) -> Page:
    """A page of `DueBack` rows for the aids centre; each patient shown is
    audited as read, committed. A page past the last is the last."""
    require_depot(user)
    today = today or region_today()
    query = due_back_query()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = min(max(page, 1), page_count(total, PER_PAGE))
    rows = db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    devices = _loaded(Device, [r.id for r in rows if r.kind == DEVICE])
    lines = _loaded(OrderLine, [r.id for r in rows if r.kind == LINE])
    patients = {
        patient.id: patient
        for patient in db.session.scalars(
            sa.select(Patient)
            .where(Patient.id.in_({r.patient_id for r in rows}))
            .options(
                selectinload(Patient.addresses),
                selectinload(Patient.care_relationships).selectinload(
                    CareRelationship.clinic
                ),
            )
        )
    }
    for patient_id in dict.fromkeys(r.patient_id for r in rows):
        access.handled_by_depot(user, patient_id, action=READ_ACTION)
    items = [
        _due_back(devices.get(r.id) if r.kind == DEVICE else None,
                  lines.get(r.id) if r.kind == LINE else None,
                  patients[r.patient_id], today)
        for r in rows
    ]  # fmt: skip
    db.session.commit()
    return Page(items=items, total=total, page=page, per_page=PER_PAGE)


def _loaded(model, ids: list[int]) -> dict:
    """The page's devices or order lines by id, with their articles."""
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(model).where(model.id.in_(ids)).options(selectinload(model.article))
    )
    return {row.id: row for row in found}


def _due_back(
    device: Device | None, line: OrderLine | None, patient: Patient, today: date
) -> DueBack:
    clinic = last_clinic(patient)
    article = device.article if device else line.article
    return DueBack(
        device_id=device.id if device else None,
        order_id=None if device else line.order_id,
        serial_no=device.serial_no if device else line.serial_no,
        article_no=article.article_no,
        article_name=article.name,
        since=device.lent_on if device else line.delivered_on,
        patient_name=None if patient.protected_identity else patient.full_name,
        ended_on=patient.care_ended_on,
        reason=patient.care_ended_reason,
        clinic_name=clinic.name if clinic else None,
        collect_from=collect_from(patient, clinic, today),
    )


def last_clinic(patient: Patient) -> Clinic | None:
    """The clinic whose care the end of care ended (the latest to begin),
    else the one that cared last."""
    episodes = sorted(
        patient.care_relationships,
        key=lambda c: (c.end_reason is not None, c.ended_on or date.max, c.id),
    )
    return episodes[-1].clinic if episodes else None


def collect_from(patient: Patient, clinic: Clinic | None, today: date) -> CollectFrom:
    """The address the device is collected from, as the aids centre may see
    it: never a protected patient's own (their clinic's instead)."""
    if patient.protected_identity:
        if clinic is None:
            return CollectFrom(name=None, at_clinic=True)
        return CollectFrom(
            name=clinic.name,
            street=clinic.street,
            postal_code=clinic.postal_code,
            city=clinic.city,
            at_clinic=True,
        )
    address = patient.delivery_address_on(today)
    if address is None:
        return CollectFrom(name=patient.full_name)
    return CollectFrom(
        name=patient.full_name,
        care_of=address.care_of,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
    )
