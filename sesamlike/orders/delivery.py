"""Where an order goes: first devices to the clinic, and which clinic that is;
a protected patient's orders not sent yet, to the clinic from then on."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, User, user_clinics
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common.time import region_today
from sesamlike.extensions import db
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


def delivery_clinic(user: User, patient: Patient):
    """The ordering user's own clinic that cares for the patient, if any."""
    return db.session.scalar(
        sa.select(Clinic)
        .join(user_clinics, user_clinics.c.clinic_id == Clinic.id)
        .where(user_clinics.c.user_id == user.id, Clinic.id.in_(patient.clinic_ids))
        .order_by(Clinic.id)
        .limit(1)
    )


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
        waiting = [
            line
            for line in order.lines
            if line.status in OPEN_LINE_STATUSES and line.channel != Channel.PHARMACY
        ]
        prescribing = next(
            (line.prescription.clinic for line in waiting if line.prescription),
            None,
        )
        clinic = parcel_clinic(patient, prescribing) if waiting else None
        if clinic is None:
            continue
        order.delivery_mode = DeliveryMode.CLINIC
        snapshot = ship_to_snapshot(
            patient, DeliveryMode.CLINIC, clinic, None, None, region_today()
        )
        for column, value in snapshot.items():
            setattr(order, column, value)
        order.ship_to_door_code = None
        audit.record(
            "update", "order", patient_id=patient.id, object_id=order.id, user=user,
            detail="skyddade personuppgifter: levereras till mottagningen",
        )  # fmt: skip
        moved.append(order.id)
    return moved
