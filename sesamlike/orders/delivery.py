"""Where an order goes: first devices to the clinic, and which clinic that is;
a protected patient's orders not sent yet, to the clinic from then on; those
waiting to go to a clinic whose care ended, to the clinic caring now."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, User, user_clinics
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import status
from sesamlike.orders.models import OPEN_LINE_STATUSES, DeliveryMode, Order, OrderLine
from sesamlike.orders.rules import DEVICE_HISTORY_STATUSES, ship_to_snapshot
from sesamlike.patients.models import Patient


def first_devices(patient_id: int, articles: Iterable[Article]) -> list[Article]:
    """Pumps and CGM readers of a category the patient never had nor has ordered."""
    articles = list(articles)
    categories = {a.category for a in articles if a.category in DEVICE_CATEGORIES}
    if not categories:
        return []
    had = set(
        db.session.scalars(
            sa.select(Article.category)
            .join(OrderLine, OrderLine.article_id == Article.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.patient_id == patient_id,
                Article.category.in_(categories),
                OrderLine.status.in_(DEVICE_HISTORY_STATUSES),
            )
            .distinct()
        )
    )
    return [a for a in articles if a.category in categories - had]


def parcel_clinic(patient: Patient, prescribing: Clinic | None) -> Clinic | None:
    """The clinic a parcel to be collected at the clinic goes to, when the
    ordering user has none of their own caring for the patient: the
    prescribing clinic while it cares for the patient, else the clinic that
    took over the care (the patient moved: the old clinic's staff no longer
    reach the patient to hand it over), else the prescribing one."""
    caring = [c for c in patient.care_relationships if c.ended_on is None]
    if prescribing is not None and (
        not caring or any(c.clinic_id == prescribing.id for c in caring)
    ):
        return prescribing
    if not caring:
        return None
    return max(caring, key=lambda c: (c.started_on, c.id)).clinic


def clinic_of_lines(patient: Patient, lines: Iterable[OrderLine]) -> Clinic | None:
    """The clinic a protected patient's parcel of these lines goes to: the
    first prescribing clinic, while it cares for the patient (`parcel_clinic`)."""
    prescribing = next(
        (line.prescription.clinic for line in lines if line.prescription is not None),
        None,
    )
    return parcel_clinic(patient, prescribing)


def waiting_lines(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """The lines not sent yet that go where the order says (not the pharmacy's)."""
    return [
        line
        for line in lines
        if line.status in OPEN_LINE_STATUSES and line.channel != Channel.PHARMACY
    ]


def delivery_clinic(user: User, patient: Patient):
    """The ordering user's own clinic that cares for the patient, if any."""
    return db.session.scalar(
        sa.select(Clinic)
        .join(user_clinics, user_clinics.c.clinic_id == Clinic.id)
        .where(user_clinics.c.user_id == user.id, Clinic.id.in_(patient.clinic_ids))
        .order_by(Clinic.id)
        .limit(1)
    )


def _to_clinic(order: Order, patient: Patient, clinic: Clinic, user, why: str):
    order.delivery_mode = DeliveryMode.CLINIC
    snapshot = ship_to_snapshot(
        patient, DeliveryMode.CLINIC, clinic, None, order.contact_phone, region_today()
    )
    for column, value in snapshot.items():
        setattr(order, column, value)
    order.ship_to_door_code = None
    audit.record(
        "update", "order", patient_id=patient.id, object_id=order.id, user=user,
        detail=why,
    )  # fmt: skip


def follow_the_move(patient: Patient, clinic: Clinic, user: User) -> list[int]:
    """The clinic's care of the patient ended: the orders waiting to go to that
    clinic (to be collected there, not sent yet) go to the clinic caring for
    the patient now, if one does. They went to the old clinic, whose staff no
    longer reach the patient to hand them over, while the new clinic's list
    said they waited there. The ids of the orders."""
    moved = []
    now = parcel_clinic(patient, clinic)
    if now is None or now.id == clinic.id:
        return moved
    orders = db.session.scalars(
        sa.select(Order).where(
            Order.patient_id == patient.id,
            Order.delivery_mode == DeliveryMode.CLINIC,
            Order.cancelled_at.is_(None),
            Order.ship_to_name == clinic.name,
            Order.ship_to_street == clinic.street,
        )
    )
    for order in orders:
        waiting = waiting_lines(order.lines)
        # A line in a supplier's file has gone, with the old clinic's address
        # in it: the supplier delivers there, whatever the books say.
        handed = status.handovers(waiting)
        if any(not handed.get(line.id, status.HandOver()).on for line in waiting):
            _to_clinic(order, patient, now, user, f"vårdrelation avslutad: {now.code}")
            moved.append(order.id)
    return moved


def reroute_to_clinic(patient: Patient, user: User) -> list[int]:
    """Protected identity was set: each order of the patient to a home or a
    pickup point with lines not sent yet (the pharmacy's aside, which go to
    the pharmacy) goes to the clinic from now on, in the books too: the
    clinic's list of orders to hand over finds it, marking it collected is
    taken, and the home address, door code and phone leave the order. The
    parcel went to the clinic before (`shipto.ship_to`), but the order still
    said "home", so the clinic could not hand it over. The ids of the orders.
    """
    moved = []
    orders = db.session.scalars(
        sa.select(Order).where(
            Order.patient_id == patient.id,
            Order.delivery_mode.in_((DeliveryMode.HOME, DeliveryMode.PICKUP)),
            Order.cancelled_at.is_(None),
        )
    )
    for order in orders:
        waiting = waiting_lines(order.lines)
        clinic = clinic_of_lines(patient, waiting) if waiting else None
        if clinic is None:
            continue
        _to_clinic(order, patient, clinic, user,
                   "skyddade personuppgifter: levereras till mottagningen")  # fmt: skip
        moved.append(order.id)
    return moved
