"""The clinic's work lists: orders by status, late lines, prescriptions running
out, and lent devices whose warranty ends.

A prescriber sees the patients of their own clinics (a current care
relationship), one clinic or all of them. Like a search hit, every patient a
list shows is audited; the counts of the other lists show no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common.i18n import N_
from sesamlike.common.sql import written_out
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import status as order_status
from sesamlike.orders.errors import NotOwnClinic, WorkListsForPrescribers
from sesamlike.orders.forms import MODE_LABELS
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    UNDELIVERED_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
)
from sesamlike.orders.shipto import goes_via_pharmacy, mode_in_force
from sesamlike.patients import access
from sesamlike.patients.models import CareRelationship, Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock.models import Device, DeviceStatus

WORKLIST_ROLES = frozenset({Role.PRESCRIBER})
ORDER_LISTS = ("open", "backordered", "sent", "at_clinic", "overdue")
LISTS = (*ORDER_LISTS, "running_out", "warranty")
# The lists by name, as the pages and the audit log's sentences call them.
TITLES = {
    "open": N_("Beställt, inte levererat"),
    "backordered": N_("Restnoterade"),
    "sent": N_("Hos leverantör eller apotek"),
    "at_clinic": N_("Väntar på mottagningen"),
    "overdue": N_("Försenade"),
    "running_out": N_("Förskrivningar som tar slut"),
    "warranty": N_("Garantin går ut"),
}
# Days ahead each list looks by default, and the choices offered.
DEFAULT_DAYS = {"running_out": 30, "warranty": 90}
DAY_CHOICES = (30, 60, 90, 180, 365)
# A prescription that ran out this many days ago without renewal still shows.
RAN_OUT_WINDOW = 30
MAX_ROWS = 500
VIA_PHARMACY = N_("Via apoteket")  # shipto.goes_via_pharmacy


@dataclass
class OrderRow:
    line: OrderLine
    text: order_status.StatusText
    due_on: date
    late: bool
    # At the clinic: the patient may collect the order (nothing of it unsent).
    collectable: bool = False

    @property
    def order(self) -> Order:
        return self.line.order

    @property
    def patient(self) -> Patient:
        return self.line.order.patient

    @property
    def delivery_label(self) -> str:
        """How this line reaches the patient (Swedish source text): the order's
        delivery mode in force, except that a pharmacy line goes via the pharmacy."""
        mode = mode_in_force(self.order, self.line)  # no address looked up
        if goes_via_pharmacy(self.line, mode):
            return VIA_PHARMACY
        return MODE_LABELS.get(mode, mode)


@dataclass
class PrescriptionRow:
    prescription: Prescription
    runs_out_on: date

    @property
    def patient(self) -> Patient:
        return self.prescription.patient


@dataclass
class DeviceRow:
    device: Device
    patient: Patient


@dataclass
class WorkList:
    name: str
    rows: list
    counts: dict[str, int]
    clinics: list[Clinic]
    clinic: Clinic | None
    channel: str | None
    days: int
    today: date
    truncated: bool = False
    filters: dict[str, str] = field(default_factory=dict)


def may_use(user: User) -> bool:
    return user.role in WORKLIST_ROLES


def work_list(
    user: User,
    name: str | None = None,
    clinic_code: str | None = None,
    channel: str | None = None,
    days: int | None = None,
    today: date | None = None,
    action: str = "worklist",
) -> WorkList:
    """One list with its rows, and every list's count, for the user's clinics."""
    if not may_use(user):
        raise WorkListsForPrescribers()
    today = today or region_today()
    name = name if name in LISTS else LISTS[0]
    clinics = sorted(user.clinics, key=lambda clinic: clinic.code)
    clinic = _clinic(clinics, clinic_code)
    channel = channel if channel in set(Channel) else None
    days = days if days in DAY_CHOICES else DEFAULT_DAYS.get(name, 30)
    scope = _scope(user, clinic)
    finders = {
        "open": lambda: _order_rows(scope, channel, today, "open"),
        "backordered": lambda: _order_rows(scope, channel, today, "backordered"),
        "sent": lambda: _order_rows(scope, channel, today, "sent"),
        "at_clinic": lambda: _order_rows(scope, channel, today, "at_clinic"),
        "overdue": lambda: _order_rows(scope, channel, today, "overdue"),
        "running_out": lambda: _running_out(scope, today, days),
        "warranty": lambda: _warranty(scope, today, days),
    }
    counts, rows = {}, []
    for each, find in finders.items():
        found = find()
        counts[each] = len(found)
        if each == name:
            rows = found
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    _audit(user, rows, name, action)
    db.session.commit()
    filters = {"list": name, "days": str(days)}
    if clinic is not None:
        filters["clinic"] = clinic.code
    if channel is not None:
        filters["channel"] = channel
    return WorkList(
        name, rows, counts, clinics, clinic, channel, days, today, truncated, filters
    )


def _clinic(clinics: list[Clinic], code: str | None) -> Clinic | None:
    code = (code or "").strip()
    if not code:
        return None
    for clinic in clinics:
        if clinic.code == code:
            return clinic
    raise NotOwnClinic(fields={"clinic": ["Välj en av dina vårdenheter."]})


def _scope(user: User, clinic: Clinic | None) -> sa.ColumnElement[bool]:
    """Patients of the user's clinics: all of them, or those of one clinic."""
    visible = access.visible_patient_filter(user)
    if clinic is None:
        return visible
    return sa.and_(
        visible,
        Patient.id.in_(
            sa.select(CareRelationship.patient_id).where(
                CareRelationship.clinic_id == clinic.id,
                CareRelationship.ended_on.is_(None),
            )
        ),
    )


def _order_rows(scope, channel, today: date, which: str) -> list[OrderRow]:
    query = (
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Patient, Patient.id == Order.patient_id)
        .where(scope)
        .options(
            contains_eager(OrderLine.order).contains_eager(Order.patient),
            selectinload(OrderLine.article),
        )
        .order_by(Order.placed_at, OrderLine.id)
    )
    if channel:
        query = query.where(OrderLine.channel == channel)
    if which == "open":
        query = query.where(OrderLine.status.in_(UNDELIVERED_LINE_STATUSES))
    elif which == "backordered":
        query = query.where(OrderLine.status == LineStatus.BACKORDERED)
    elif which == "sent":
        query = query.where(
            OrderLine.status.in_(
                (LineStatus.SENT_TO_SUPPLIER, LineStatus.SENT_TO_PHARMACY)
            )
        )
    elif which == "at_clinic":
        # As AWAITING_COLLECTION_ROWS says it, so the orders come from its
        # partial index (SQLite uses one only for the condition as written),
        # not from every order of every patient in care (a clinic of 25,000
        # at five years: 414,000 orders read, 0.27 s, for a list of a few).
        query = query.where(
            Order.delivery_mode == written_out(DeliveryMode.CLINIC),
            Order.collected_on.is_(None),
            OrderLine.status.in_((LineStatus.SHIPPED, LineStatus.DELIVERED)),
            ~order_status.collected_clause(today),
        )
    else:  # overdue: not delivered within the channel's lead time
        shortest = min(order_status.LEAD_TIME_WORKING_DAYS.values())
        cutoff = datetime.combine(today - timedelta(shortest), datetime.min.time())
        query = query.where(
            OrderLine.status.in_(UNDELIVERED_LINE_STATUSES),
            Order.placed_at < cutoff.replace(tzinfo=UTC),
        )
    rows = []
    lines = db.session.scalars(query).unique().all()
    unsent = set()
    if which == "at_clinic":
        unsent = _orders_with_unsent_lines({line.order_id for line in lines})
    for line in lines:
        due_on = order_status.due_on(line.order.placed_at, line.channel)
        late = due_on < today and line.status not in (
            LineStatus.DELIVERED,
            LineStatus.CANCELLED,
            LineStatus.RETURNED,
        )
        if which == "overdue" and not late:
            continue
        text = order_status.line_status(line, today)
        collectable = which == "at_clinic" and line.order_id not in unsent
        rows.append(OrderRow(line, text, due_on, late, collectable))
    return rows


def _orders_with_unsent_lines(order_ids: set[int]) -> set[int]:
    """Those of the orders with a line not sent yet (one query)."""
    if not order_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(OrderLine.order_id)
            .where(OrderLine.order_id.in_(sorted(order_ids)))
            .where(OrderLine.status.in_(sorted(OPEN_LINE_STATUSES)))
            .distinct()
        )
    )


def _running_out(scope, today: date, days: int) -> list[PrescriptionRow]:
    """Consumable prescriptions running out within `days` (or lately) unrenewed."""
    renewal = aliased(Prescription)
    horizon = today + timedelta(days)
    query = (
        sa.select(Prescription)
        .join(Patient, Patient.id == Prescription.patient_id)
        .join(Article, Article.id == Prescription.article_id)
        .where(
            scope,
            Prescription.status != PrescriptionStatus.CANCELLED,
            Article.category.not_in(DEVICE_CATEGORIES),
            Prescription.valid_from <= horizon,
            Prescription.valid_to >= today - timedelta(RAN_OUT_WINDOW),
            sa.or_(
                Prescription.valid_to <= horizon,
                Prescription.withdrawals_used >= Prescription.withdrawals,
            ),
            ~sa.exists().where(
                renewal.renewed_from_id == Prescription.id,
                renewal.status != PrescriptionStatus.CANCELLED,
            ),
        )
        .options(
            contains_eager(Prescription.patient),
            contains_eager(Prescription.article),
        )
    )
    candidates = list(db.session.scalars(query))
    covered = _covered_until([rx.patient_id for rx in candidates])
    rows = []
    for rx in candidates:
        ends = rx.runs_out_on
        if ends is None or not today - timedelta(RAN_OUT_WINDOW) <= ends <= horizon:
            continue
        # Another prescription of the same article that lasts longer covers it.
        if any(
            other_id != rx.id and valid_to > ends
            for other_id, valid_to in covered.get((rx.patient_id, rx.article_id), ())
        ):
            continue
        rows.append(PrescriptionRow(rx, ends))
    return sorted(rows, key=lambda row: (row.runs_out_on, row.prescription.id))


def _covered_until(patient_ids: list[int]) -> dict[tuple[int, int], list]:
    """(patient, article) -> [(prescription id, valid_to)] of live prescriptions."""
    if not patient_ids:
        return {}
    found: dict[tuple[int, int], list] = {}
    for rx_id, patient_id, article_id, valid_to in db.session.execute(
        sa.select(
            Prescription.id,
            Prescription.patient_id,
            Prescription.article_id,
            Prescription.valid_to,
        ).where(
            Prescription.patient_id.in_(set(patient_ids)),
            Prescription.status != PrescriptionStatus.CANCELLED,
            Prescription.withdrawals_used < Prescription.withdrawals,
        )
    ):
        found.setdefault((patient_id, article_id), []).append((rx_id, valid_to))
    return found


def _warranty(scope, today: date, days: int) -> list[DeviceRow]:
    """Devices on loan whose warranty ends within `days` (or has ended)."""
    query = (
        sa.select(Device, Patient)
        .join(Patient, Patient.id == Device.patient_id)
        .where(
            scope,
            Device.status == DeviceStatus.ON_LOAN,
            Device.warranty_end.is_not(None),
            Device.warranty_end <= today + timedelta(days),
        )
        .options(selectinload(Device.article))
        .order_by(Device.warranty_end, Device.id)
    )
    return [DeviceRow(device, patient) for device, patient in db.session.execute(query)]


def _audit(user: User, rows: list, name: str, action: str) -> None:
    """One audit row per patient shown (log review asks by patient)."""
    for patient_id in sorted({row.patient.id for row in rows}):
        audit.record(
            action,
            "patient",
            patient_id=patient_id,
            object_id=patient_id,
            user=user,
            detail=f"arbetslista: {name}",
        )
