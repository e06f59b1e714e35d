"""The aids centre's queue in the demo: a few orders of this week, not delivered.

The demo's history is all delivered, so the clerk who logs in as `lager` found
nothing to pick, pack or confirm. A handful of orders placed by the patients'
prescribers in the last days, through the ordering and shipping use cases (so
stock is reserved, picked and shipped as in real use, audited, and the orders'
mails queued), make the queue: some to pick, one picked to pack, some shipped
to confirm. Patients with a portal login (their own or a guardian's) are left
out: their pages show the demo's documented state.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from sesamlike.accounts.models import Role, User, user_clinics
from sesamlike.catalog.models import Article, Channel
from sesamlike.common.errors import DomainError
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import LineStatus, Order
from sesamlike.patients.models import Guardian, Patient
from sesamlike.prescriptions.entitlement import withdrawal_refusal
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus

ORDERS = 9  # placed; the oldest three in stock picked, two of those shipped
PICKED, SHIPPED = 3, 2


def make_queue(seed: str, today: date) -> list[int]:
    """Place, pick and ship the queue's orders; return their ids, oldest first."""
    rng = random.Random(f"{seed}-queue")
    clerk = db.session.scalar(sa.select(User).where(User.username == "lager"))
    placed = []
    for prescription, prescriber in _candidates(rng, today):
        try:
            order = ordering.place_order(
                prescriber, prescription.patient_id,
                [(prescription.id, prescription.packs_per_withdrawal)], "home",
                today=today,
            ).order  # fmt: skip
        except DomainError:
            db.session.rollback()
            continue
        placed.append(order.id)
        if len(placed) == ORDERS:
            break
    # Placed over the last days, the first the oldest (the queues' order).
    for hours, order_id in zip(range(len(placed) * 7, 0, -7), placed, strict=False):
        db.session.get(Order, order_id).placed_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    if clerk is None:
        return placed
    # The oldest in stock are picked, and the oldest of those shipped (one
    # whose article is short waits among the backorders).
    in_stock = [order_id for order_id in placed if _all_reserved(order_id)]
    for n, order_id in enumerate(in_stock[:PICKED]):
        shipping.pick_order(clerk, order_id, today=today)
        if n < SHIPPED:
            tracking = f"RR{rng.randrange(10**8, 10**9)}SE"
            shipping.ship_order(clerk, order_id, tracking_ref=tracking, today=today)
    return placed


def _all_reserved(order_id: int) -> bool:
    order = db.session.get(Order, order_id)
    return all(line.status == LineStatus.RESERVED for line in order.lines)


def _candidates(rng: random.Random, today: date):
    """Prescriptions of central consumables that may be ordered on today, of
    patients without a portal login nor protected identity, each with a
    prescriber of its clinic; in a seeded shuffle."""
    guardian_login = sa.select(Guardian.patient_id).where(Guardian.user_id.is_not(None))
    rows = db.session.execute(
        sa.select(Prescription, User)
        .join(Article, Article.id == Prescription.article_id)
        .join(Patient, Patient.id == Prescription.patient_id)
        .join(user_clinics, user_clinics.c.clinic_id == Prescription.clinic_id)
        .join(User, User.id == user_clinics.c.user_id)
        .where(
            Article.channel == Channel.CENTRAL,
            sa.func.coalesce(Article.amortisation_years, 0) == 0,
            Article.serial_tracked.is_(False),
            Prescription.status == PrescriptionStatus.ACTIVE,
            Prescription.valid_from <= today,
            Prescription.valid_to >= today,
            Patient.protected_identity.is_(False),
            Patient.user_id.is_(None),
            Patient.id.not_in(guardian_login),
            User.role == Role.PRESCRIBER,
            User.first_time_prescriber.is_(True),
        )
        .order_by(Prescription.id, User.id)
    ).all()
    chosen, seen = [], set()
    for prescription, prescriber in rows:
        if prescription.patient_id in seen:
            continue
        if withdrawal_refusal(prescription, prescription.packs_per_withdrawal, today):
            continue
        seen.add(prescription.patient_id)
        chosen.append((prescription, prescriber))
    rng.shuffle(chosen)
    return chosen
