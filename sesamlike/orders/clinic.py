"""Orders delivered to the clinic: the patient collects them there."""

from __future__ import annotations

from datetime import date

from sesamlike.accounts.models import User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import changes
from sesamlike.orders.errors import NotAllSent, NotAtClinic, WorkListsForPrescribers
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
)
from sesamlike.orders.services import load_order
from sesamlike.orders.worklists import may_use
from sesamlike.patients import access


def mark_collected(user: User, order_id: int, day: date | None = None) -> Order:
    """The patient has collected a clinic delivery: it leaves the work list."""
    if not may_use(user):
        raise WorkListsForPrescribers()
    order = load_order(order_id, lock=True)
    access.get_patient(user, order.patient_id, action="collected", detail=str(order_id))
    arrived = any(
        line.status in (LineStatus.SHIPPED, LineStatus.DELIVERED)
        for line in order.lines
    )
    if (
        order.delivery_mode != DeliveryMode.CLINIC
        or order.collected_on is not None
        or not arrived
    ):
        raise NotAtClinic(order_id=order_id)
    if any(line.status in OPEN_LINE_STATUSES for line in order.lines):
        # The order is collected whole (one day for all of it): the rest
        # would arrive afterwards as if already collected.
        raise NotAllSent(order_id=order_id)
    order.collected_on = day or region_today()
    changes.audit_update(order, user, "hämtad på mottagningen")
    db.session.commit()
    return order
