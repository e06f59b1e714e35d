"""Backordered lines filled from stock that came free: a receipt, a returned or
reconditioned device, or a reservation released by a cancellation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import LINE_REFERENCE, LineStatus, OrderLine
from sesamlike.stock import reservations


def fill(article_id: int, *, user: User | None) -> list[str]:
    """Fill the article's backorders from free stock (first placed, first
    served); their lines become reserved. Returns their references."""
    filled = reservations.fill_backorders(article_id, user_id=user.id if user else None)
    mark_reserved(filled, user=user)
    return filled


def mark_reserved(references: Iterable[str], *, user: User | None) -> None:
    """The backordered lines of these references now have their packs: a
    write of each order, in its patient's log (the user whose receipt,
    return or cancellation freed the packs)."""
    ids = [
        int(ref.removeprefix(LINE_REFERENCE))
        for ref in references
        if ref.startswith(LINE_REFERENCE)
    ]
    if not ids:
        return
    waiting = sa.and_(OrderLine.id.in_(ids), OrderLine.status == LineStatus.BACKORDERED)
    orders: dict[tuple[int, int], list[int]] = defaultdict(list)
    for line_id, order_id, patient_id in db.session.execute(
        sa.select(OrderLine.id, OrderLine.order_id, OrderLine.patient_id)
        .where(waiting)
        .order_by(OrderLine.id)
    ):
        orders[order_id, patient_id].append(line_id)
    db.session.execute(
        sa.update(OrderLine)
        .where(waiting)
        .values(status=LineStatus.RESERVED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    for (order_id, patient_id), lines in orders.items():
        audit.record("backorder_filled", "order", patient_id=patient_id,
                     object_id=order_id, user=user,
                     detail=named_lines(lines))  # fmt: skip


def named_lines(line_ids: Iterable[int]) -> str:
    """The lines an order's audit row names ("lines 12, 13")."""
    return f"lines {', '.join(str(line_id) for line_id in line_ids)}"
