"""The clinic's work lists: orders by status, late lines, prescriptions running
out, and lent devices whose warranty ends.

A prescriber sees the patients of their own clinics (a current care
relationship), one clinic or all of them. Like a search hit, every patient a
list shows is audited; the counts of the other lists show no one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common.i18n import N_
from sesamlike.common.sql import written_out
from sesamlike.common.time import REGION_TIMEZONE, region_today
from sesamlike.common.workdays import add_working_days
from sesamlike.extensions import commit_keeping_loaded, db
from sesamlike.orders import status as order_status
from sesamlike.orders.errors import NotOwnClinic, WorkListsForPrescribers
from sesamlike.orders.forms import MODE_LABELS
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
    undelivered,
)
from sesamlike.orders.shipto import goes_via_pharmacy, mode_in_force
from sesamlike.patients import access
from sesamlike.patients.models import CareRelationship, Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock.models import Device, DeviceStatus

WORKLIST_ROLES = frozenset({Role.PRESCRIBER})
ORDER_LISTS = ("open", "backordered", "sent", "at_clinic", "overdue")
# The order lists of lines not delivered yet (all but "at_clinic").
UNDELIVERED_LISTS = ("open", "backordered", "sent", "overdue")
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
    lists = {
        **{each: _OrderList(scope, channel, today, each) for each in ORDER_LISTS},
        "running_out": _RunningOut(scope, today, days),
        "warranty": _Warranty(scope, today, days),
    }
    # The rows of the list shown alone, with their total (one statement), and
    # the others' counts from the database (a clinic of 25,000 patients has
    # thousands of prescriptions running out and devices whose warranty has
    # ended: counted, not loaded). An export has them all, a page its first
    # MAX_ROWS.
    rows, total = lists[name].rows(None if action == "export" else MAX_ROWS)
    # The lists of lines not delivered yet are counted together: one pass over
    # a clinic's such lines, not one for each list.
    undelivered_lists = [
        found
        for each, found in lists.items()
        if each != name and each in UNDELIVERED_LISTS
    ]
    counts = {
        each: total if each == name else found.count()
        for each, found in lists.items()
        if each not in UNDELIVERED_LISTS or each == name
    }
    counts.update(_OrderList.counts(undelivered_lists))
    truncated = total > len(rows)
    _audit(user, rows, name, action, clinic)
    # The rows stay loaded for the page: not read again one at a time.
    commit_keeping_loaded()
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


def _scope(user: User, clinic: Clinic | None) -> Callable[[Any], sa.ColumnElement]:
    """Patients of the user's clinics, all of them or those of one clinic: a
    WHERE clause on a table's patient id (`access.visible_patient_id`), so a
    count joins no patients (a join made PostgreSQL read every patient of
    the region to find a clinic's)."""

    def scope(patient_id) -> sa.ColumnElement[bool]:
        visible = access.visible_patient_id(user, patient_id)
        if clinic is None:
            return visible
        return sa.and_(
            visible,
            patient_id.in_(
                sa.select(CareRelationship.patient_id).where(
                    CareRelationship.clinic_id == clinic.id,
                    CareRelationship.ended_on.is_(None),
                )
            ),
        )

    return scope


def _count(select: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))


# Beside each row of a list: how many rows the whole list has (before LIMIT).
_TOTAL = sa.func.count().over().label("total")


def _total(found: list[sa.Row]) -> int:
    return found[0].total if found else 0


class _OrderList:
    """One of the order lists: the lines of the scope's patients in a state."""

    def __init__(self, scope, channel: str | None, today: date, which: str):
        self.scope, self.channel, self.today, self.which = scope, channel, today, which

    def _select(self, *columns) -> sa.Select:
        query = (
            sa.select(*columns)
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
        )
        if self.channel:
            query = query.where(OrderLine.channel == self.channel)
        which = self.which
        if which == "at_clinic":
            # As AWAITING_COLLECTION_ROWS says it, so the orders come from its
            # partial index (SQLite uses one only for the condition as written),
            # not from every order of every patient in care (a clinic of 25,000
            # at five years: 414,000 orders read, 0.27 s, for a list of a few).
            return query.where(
                self.scope(Order.patient_id),
                Order.delivery_mode == written_out(DeliveryMode.CLINIC),
                Order.collected_on.is_(None),
                OrderLine.status.in_((LineStatus.SHIPPED, LineStatus.DELIVERED)),
                ~order_status.collected_clause(self.today),
            )
        # The other lists are lines not delivered yet: each patient's from the
        # partial index of them (`undelivered`, as UNDELIVERED_ROWS says it), not
        # from every line of every order of 25,000 patients (0.3 s a list).
        return query.where(
            self.scope(OrderLine.patient_id),
            undelivered(OrderLine.status),
            self.narrowed(),
        )

    def narrowed(self) -> sa.ColumnElement[bool]:
        """Which of the lines not delivered yet the list has."""
        if self.which == "backordered":
            return OrderLine.status == LineStatus.BACKORDERED
        if self.which == "sent":
            return OrderLine.status.in_(
                (LineStatus.SENT_TO_SUPPLIER, LineStatus.SENT_TO_PHARMACY)
            )
        if self.which == "overdue":  # not delivered within the channel's lead time
            return _late(self.today)
        return sa.true()  # open: every line not delivered yet

    def count(self) -> int:
        return _count(self._select(OrderLine.id))

    @staticmethod
    def counts(lists: list[_OrderList]) -> dict[str, int]:
        """The counts of lists of lines not delivered yet (not "at the clinic"),
        with the same scope and channel, in one pass over those lines."""
        if not lists:
            return {}
        whole = _OrderList(lists[0].scope, lists[0].channel, lists[0].today, "open")
        counted = db.session.execute(
            whole._select(*(sa.func.count().filter(each.narrowed()) for each in lists))
        ).one()
        return {each.which: n for each, n in zip(lists, counted, strict=True)}

    def rows(self, limit: int | None) -> tuple[list[OrderRow], int]:
        query = (
            self._select(OrderLine, _TOTAL)
            .join(Patient, Patient.id == Order.patient_id)
            .options(
                contains_eager(OrderLine.order).contains_eager(Order.patient),
                selectinload(OrderLine.article),
            )
            .order_by(Order.placed_at, OrderLine.id)
            .limit(limit)
        )
        found = db.session.execute(query).all()
        lines = [row.OrderLine for row in found]
        unsent = set()
        if self.which == "at_clinic":
            unsent = _orders_with_unsent_lines({line.order_id for line in lines})
        rows = []
        for line in lines:
            due_on = order_status.due_on(line.order.placed_at, line.channel)
            late = due_on < self.today and line.status not in (
                LineStatus.DELIVERED,
                LineStatus.CANCELLED,
                LineStatus.RETURNED,
            )
            text = order_status.line_status(line, self.today)
            collectable = self.which == "at_clinic" and line.order_id not in unsent
            rows.append(OrderRow(line, text, due_on, late, collectable))
        return rows, _total(found)


def _late(today: date) -> sa.ColumnElement[bool]:
    """Lines due before today (`status.due_on`: placed, plus their channel's
    lead time in working days), as a bound on when they were placed: for each
    lead time, the last region day whose lines are due before today."""
    bounds = {}
    for channel in Channel:
        lead = order_status.LEAD_TIME_WORKING_DAYS.get(channel, 5)
        bounds.setdefault(lead, []).append(channel)
    # Every channel a line may have (the table's check) is a Channel, each
    # with its lead time or `due_on`'s default.
    clauses = [
        sa.and_(
            OrderLine.channel.in_(channels),
            Order.placed_at < _placed_before(today, lead),
        )
        for lead, channels in bounds.items()
    ]
    return sa.or_(*clauses)


def _placed_before(today: date, lead: int) -> datetime:
    """The moment (UTC) from which a line with this lead time is not due
    before today: the start of the region day after the last one that is."""
    day = today - timedelta(1)
    while add_working_days(day, lead) >= today:
        day -= timedelta(1)
    midnight = datetime.combine(day + timedelta(1), time.min, tzinfo=REGION_TIMEZONE)
    return midnight.astimezone(UTC)


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


class _RunningOut:
    """Consumable prescriptions running out within `days` (or lately), neither
    renewed nor covered by a prescription of the same article that lasts
    longer: the rule of `Prescription.runs_out_on`, in SQL."""

    def __init__(self, scope, today: date, days: int):
        self.scope, self.today = scope, today
        self.horizon = today + timedelta(days)
        self.since = today - timedelta(RAN_OUT_WINDOW)
        self.ends = Prescription.runs_out_on_sql()

    def _select(self, *columns) -> sa.Select:
        renewal, other = aliased(Prescription), aliased(Prescription)
        return (
            sa.select(*columns)
            .select_from(Prescription)
            .join(Article, Article.id == Prescription.article_id)
            .where(
                self.scope(Prescription.patient_id),
                # As the index of a patient's prescriptions by validity says
                # it (`NOT_CANCELLED_ROWS`), so SQLite and a generic plan use it.
                Prescription.status != written_out(PrescriptionStatus.CANCELLED),
                Article.category.not_in(DEVICE_CATEGORIES),
                Prescription.valid_from <= self.horizon,
                Prescription.valid_to >= self.since,
                sa.or_(
                    Prescription.valid_to <= self.horizon,
                    Prescription.withdrawals_used >= Prescription.withdrawals,
                ),
                self.ends.between(self.since, self.horizon),
                ~sa.exists().where(
                    renewal.renewed_from_id == Prescription.id,
                    renewal.status != PrescriptionStatus.CANCELLED,
                ),
                # Another prescription of the same article that lasts longer,
                # with withdrawals left, covers it (any clinic's).
                ~sa.exists().where(
                    other.patient_id == Prescription.patient_id,
                    other.article_id == Prescription.article_id,
                    other.id != Prescription.id,
                    other.status != written_out(PrescriptionStatus.CANCELLED),
                    other.withdrawals_used < other.withdrawals,
                    other.valid_to > self.ends,
                ),
            )
        )

    def count(self) -> int:
        return _count(self._select(Prescription.id))

    def rows(self, limit: int | None) -> tuple[list[PrescriptionRow], int]:
        query = (
            self._select(Prescription, self.ends.label("ends"), _TOTAL)
            .join(Patient, Patient.id == Prescription.patient_id)
            .options(
                contains_eager(Prescription.patient),
                contains_eager(Prescription.article),
            )
            .order_by(self.ends, Prescription.id)
            .limit(limit)
        )
        found = db.session.execute(query).all()
        rows = [PrescriptionRow(row.Prescription, row.ends) for row in found]
        return rows, _total(found)


class _Warranty:
    """Devices on loan whose warranty ends within `days` (or has ended)."""

    def __init__(self, scope, today: date, days: int):
        self.scope, self.until = scope, today + timedelta(days)

    def _select(self, *columns) -> sa.Select:
        return (
            sa.select(*columns)
            .select_from(Device)
            .where(
                self.scope(Device.patient_id),
                Device.status == written_out(DeviceStatus.ON_LOAN),  # ON_LOAN_ROWS
                Device.warranty_end.is_not(None),
                Device.warranty_end <= self.until,
            )
        )

    def count(self) -> int:
        return _count(self._select(Device.id))

    def rows(self, limit: int | None) -> tuple[list[DeviceRow], int]:
        query = (
            self._select(Device, Patient, _TOTAL)
            .join(Patient, Patient.id == Device.patient_id)
            .options(selectinload(Device.article))
            .order_by(Device.warranty_end, Device.id)
            .limit(limit)
        )
        found = db.session.execute(query).all()
        return [DeviceRow(row.Device, row.Patient) for row in found], _total(found)


def _audit(
    user: User, rows: list, name: str, action: str, clinic: Clinic | None
) -> None:
    """One audit row per patient shown (log review asks by patient), with the
    clinic the user read them for: the one chosen, else the one of theirs that
    cares for the patient (a prescriber of several clinics; one query for the
    whole list), as a single patient's read names it."""
    patient_ids = sorted({row.patient.id for row in rows})
    if clinic is not None:
        read_for = dict.fromkeys(patient_ids, clinic.code)
    else:
        read_for = access.clinics_read_for(user, patient_ids)
    for patient_id in patient_ids:
        audit.record(
            action,
            "patient",
            patient_id=patient_id,
            object_id=patient_id,
            user=user,
            detail=f"arbetslista: {name}",
            clinic_code=read_for.get(patient_id),
        )
