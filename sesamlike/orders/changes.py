"""Orders changed after they were placed (a channel's file, the clinic): read
afresh with what their notices need, and each change in the audit log."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Patient


def orders_for_notices(order_ids: Iterable[int]) -> list[Order]:
    """The orders by id, read afresh with their lines' articles and the patient's
    guardians (whom a notice may go to), in id order."""
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.id.in_(list(order_ids)))
            .options(
                selectinload(Order.lines).selectinload(OrderLine.article),
                selectinload(Order.patient).selectinload(Patient.guardians),
            )
            .order_by(Order.id)
            .execution_options(populate_existing=True)
        )
    )


def audit_update(order: Order, user: User | None, detail: str) -> None:
    """The audit log's row for a change to `order` by `user` (None: a job)."""
    audit.record(
        "update",
        "order",
        patient_id=order.patient_id,
        object_id=order.id,
        user=user,
        detail=detail,
    )
