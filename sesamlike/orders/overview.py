"""A patient's aids at a glance: devices in use, current prescriptions, recent orders.

Devices in use are the lent devices on loan (with serial and warranty end), and
devices delivered through a channel that lends no stock device (a supplier's
pump, delivered with its serial on the order line) and not returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import User
from sesamlike.catalog.models import (
    CGM_CATEGORIES,
    DEVICE_CATEGORIES,
    Article,
    System,
    article_systems,
)
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import status as order_status
from sesamlike.orders.models import (
    LINE_REFERENCE,
    UNDELIVERED_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
    line_reference,
)
from sesamlike.patients import access
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock.devices import warranty_end
from sesamlike.stock.models import Device, DeviceStatus

RECENT_ORDERS = 8
# Warranty ending this soon is pointed out.
WARRANTY_WARNING_DAYS = 90


class NotYet(NamedTuple):
    """A lent device the patient has not got yet."""

    # "on_the_way" (sent, not delivered), "at_clinic" (not collected),
    # "ordered" (a warranty replacement ordered, not sent yet)
    state: str
    # A warranty replacement: the patient used its system until the swap.
    replaces: bool = False


@dataclass
class DeviceInUse:
    article: Article
    serial_no: str | None
    since: date | None
    warranty_end: date | None
    # Lent, not with the patient yet (`NotYet`). None: in use.
    not_yet: NotYet | None = None

    def warranty_state(self, today: date) -> str | None:
        """'ended', 'ending' (within WARRANTY_WARNING_DAYS) or None."""
        if self.warranty_end is None:
            return None
        if self.warranty_end < today:
            return "ended"
        if (self.warranty_end - today).days <= WARRANTY_WARNING_DAYS:
            return "ending"
        return None


@dataclass
class Overview:
    patient: Patient
    devices: list[DeviceInUse]
    prescriptions: list[Prescription]
    orders: list[Order]
    more_orders: bool
    pump_systems: list[SystemInUse]
    cgm_systems: list[SystemInUse]
    open_orders: int
    today: date
    # What the prescriber's own clinics paid for the patient (followup's
    # `own_clinic_costs`); None when the app has no follow-up.
    costs: Any = None


# How the overview finds what the prescriber's own clinics paid for the
# patient: given by the follow-up area (above this one) when the app starts.
_find_costs: Callable[[User, int], Any] | None = None


def register_patient_costs(find: Callable[[User, int], Any]) -> None:
    """`find(user, patient id)` -> the costs the overview shows; it checks the
    user's access itself, and counts as part of the overview's audited read."""
    global _find_costs
    _find_costs = find


def patient_overview(user: User, patient_id: int, today: date | None = None):
    """Everything about one patient's aids a prescriber starts from (audited)."""
    today = today or region_today()
    patient = access.get_patient(user, patient_id, detail="overview")
    devices = _devices(patient.id, today)
    devices += _replacements_ordered(patient.id)
    prescriptions = [
        rx
        for rx in db.session.scalars(
            sa.select(Prescription)
            .where(
                Prescription.patient_id == patient.id,
                Prescription.status != PrescriptionStatus.CANCELLED,
                Prescription.valid_to >= today,
            )
            .options(selectinload(Prescription.article).selectinload(Article.systems))
            .order_by(Prescription.valid_from, Prescription.id)
        )
    ]
    orders = list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.patient_id == patient.id)
            .options(selectinload(Order.lines).selectinload(OrderLine.article))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(RECENT_ORDERS + 1)
        )
    )
    open_orders = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.patient_id == patient.id,
            OrderLine.status.not_in(
                (LineStatus.DELIVERED, LineStatus.CANCELLED, LineStatus.RETURNED)
            ),
        )
    )
    pumps, cgms = _systems(devices, prescriptions, _cgm_delivered(patient.id, today))
    # Before the commit: the read of the costs is part of this audited read.
    costs = _find_costs(user, patient.id) if _find_costs is not None else None
    db.session.commit()  # the audit row of this read
    return Overview(
        patient,
        devices,
        prescriptions,
        orders[:RECENT_ORDERS],
        len(orders) > RECENT_ORDERS,
        pumps,
        cgms,
        open_orders or 0,
        today,
        costs,
    )


def devices_in_use(patient_id: int, today: date) -> list[DeviceInUse]:
    """The patient's devices in use (lent, or a supplier's not returned)."""
    return _devices(patient_id, today)


def _devices(patient_id: int, today: date) -> list[DeviceInUse]:
    lent = db.session.scalars(
        sa.select(Device)
        .where(Device.patient_id == patient_id, Device.status == DeviceStatus.ON_LOAN)
        .options(selectinload(Device.article).selectinload(Article.systems))
        .order_by(Device.lent_on, Device.id)
    ).all()
    not_yet = not_with_the_patient_yet(lent, today)
    found = [
        DeviceInUse(d.article, d.serial_no, d.lent_on, d.warranty_end,
                    not_yet.get(d.reference))
        for d in lent
    ]  # fmt: skip
    delivered = db.session.scalars(
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Article, Article.id == OrderLine.article_id)
        .where(
            Order.patient_id == patient_id,
            Article.category.in_(DEVICE_CATEGORIES),
            OrderLine.status == LineStatus.DELIVERED,
            OrderLine.returned_on.is_(None),
        )
        .options(selectinload(OrderLine.article).selectinload(Article.systems))
        .order_by(OrderLine.delivered_on, OrderLine.id)
    ).all()
    # Lines whose device stock knows (lent from stock, in use or returned).
    tracked = set()
    if delivered:
        references = [line.reference for line in delivered]
        serials = [line.serial_no for line in delivered if line.serial_no]
        rows = db.session.execute(
            sa.select(Device.reference, Device.article_id, Device.serial_no).where(
                sa.or_(Device.reference.in_(references), Device.serial_no.in_(serials))
            )
        ).all()
        tracked = {ref for ref, _a, _s in rows} | {(a, s) for _r, a, s in rows}
    for line in delivered:
        if line.reference in tracked or (line.article_id, line.serial_no) in tracked:
            continue
        end = warranty_end(line.delivered_on, line.article.amortisation_years)
        found.append(DeviceInUse(line.article, line.serial_no, line.delivered_on, end))
    return found


def _replacements_ordered(patient_id: int) -> list[DeviceInUse]:
    """Warranty replacements ordered and not lent yet (the faulty device is
    back, the new one waits for stock or the supplier): the system stays in
    use meanwhile, as during a swap, with the replaced device's warranty end."""
    lines = db.session.scalars(
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.patient_id == patient_id,
            OrderLine.replaces_line_id.is_not(None),
            OrderLine.status.in_(UNDELIVERED_LINE_STATUSES),
        )
        .options(selectinload(OrderLine.article).selectinload(Article.systems))
        .order_by(OrderLine.id)
    ).all()
    if not lines:
        return []
    references = [line.reference for line in lines]
    replaced = [line_reference(line.replaces_line_id) for line in lines]
    rows = db.session.execute(
        sa.select(Device.reference, Device.status, Device.warranty_end)
        .where(Device.reference.in_(references + replaced))
        .order_by(Device.id)
    ).all()
    lent = {ref for ref, status, _end in rows if status == DeviceStatus.ON_LOAN}
    ends = {ref: end for ref, _status, end in rows}
    return [
        DeviceInUse(
            line.article,
            None,
            None,
            ends.get(line_reference(line.replaces_line_id)),
            NotYet("ordered", replaces=True),
        )  # fmt: skip
        for line in lines
        if line.reference not in lent
    ]


def not_with_the_patient_yet(lent: list[Device], today: date) -> dict[str, NotYet]:
    """Of lent devices, by reference, those the patient has not got yet: a
    device is lent when the aids centre sends it (a warranty swap's new pump
    read "in use" while it waited at the clinic)."""
    # By the lines' key (a join on the reference text reads every line).
    line_ids = [
        int(number)
        for device in lent
        if (number := (device.reference or "").removeprefix(LINE_REFERENCE)).isdecimal()
    ]
    if not line_ids:
        return {}
    rows = db.session.execute(
        sa.select(OrderLine.id, OrderLine.status, OrderLine.delivered_on,
                  Order.delivery_mode, Order.collected_on, OrderLine.replaces_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.id.in_(line_ids))
    ).all()  # fmt: skip
    found = {}
    for line_id, status, delivered_on, mode, collected_on, replaces in rows:
        reference = line_reference(line_id)
        if mode == DeliveryMode.CLINIC and collected_on is not None:
            continue  # collected at the clinic (arrived, whatever its status says)
        if status == LineStatus.SHIPPED:
            found[reference] = NotYet("on_the_way", replaces is not None)
        elif (
            status == LineStatus.DELIVERED
            and mode == DeliveryMode.CLINIC
            and not order_status.collected(collected_on, delivered_on, today)
        ):
            found[reference] = NotYet("at_clinic", replaces is not None)
    return found


@dataclass(frozen=True)
class SystemInUse:
    """A pump or CGM system of the patient; `in_use`: a device of it is with
    the patient, else it is only prescribed (a new pump not delivered yet)."""

    name: str
    in_use: bool


# Sensors last days and transmitters months: a CGM system whose consumables
# came no later than this is no longer in use.
CGM_IN_USE_DAYS = 365


def _cgm_delivered(patient_id: int, today: date) -> set[str]:
    """CGM systems whose sensors or transmitters the patient has received in
    the last CGM_IN_USE_DAYS: a CGM read by phone has no receiver on loan, yet
    it is in use."""
    return set(
        db.session.scalars(
            sa.select(System.name)
            .join(article_systems, article_systems.c.system_id == System.id)
            .join(OrderLine, OrderLine.article_id == article_systems.c.article_id)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Article, Article.id == OrderLine.article_id)
            .where(
                Order.patient_id == patient_id,
                Article.category.in_(CGM_CATEGORIES - DEVICE_CATEGORIES),
                OrderLine.status == LineStatus.DELIVERED,
                OrderLine.delivered_on > today - timedelta(days=CGM_IN_USE_DAYS),
            )
            .distinct()
        )
    )


def _systems(
    devices, prescriptions, cgm_delivered: set[str] = frozenset()
) -> tuple[list[SystemInUse], list[SystemInUse]]:
    """The pump and CGM systems the patient uses (devices, or for CGM also
    delivered sensors and transmitters) and is prescribed."""
    pumps: dict[str, bool] = {}
    cgms: dict[str, bool] = {}
    # A warranty replacement on its way: the system is in use all the same.
    articles = [(d.article, d.not_yet is None or d.not_yet.replaces) for d in devices]
    articles += [(p.article, False) for p in prescriptions]
    for article, in_use in articles:
        target = (
            pumps
            if article.category == "pump"
            else cgms
            if article.category in CGM_CATEGORIES
            else None
        )
        if target is not None:
            for system in article.systems:
                target[system.name] = target.get(system.name, False) or in_use
    return (
        [SystemInUse(name, used) for name, used in pumps.items()],
        [
            SystemInUse(name, used or name in cgm_delivered)
            for name, used in cgms.items()
        ],
    )
