"""Backordered lines filled from stock that came free: a receipt, a returned or
reconditioned device, or a reservation released by a cancellation."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import LINE_REFERENCE, LineStatus, OrderLine
from sesamlike.stock import reservations


def fill(article_id: int, *, user_id: int | None) -> list[str]:
    """Fill the article's backorders from free stock (first placed, first
    served); their lines become reserved. Returns their references."""
    filled = reservations.fill_backorders(article_id, user_id=user_id)
    mark_reserved(filled)
    return filled


def mark_reserved(references: Iterable[str]) -> None:
    """The backordered lines of these references now have their packs."""
    ids = [
        int(ref.removeprefix(LINE_REFERENCE))
        for ref in references
        if ref.startswith(LINE_REFERENCE)
    ]
    if ids:
        db.session.execute(
            sa.update(OrderLine)
            .where(OrderLine.id.in_(ids), OrderLine.status == LineStatus.BACKORDERED)
            .values(status=LineStatus.RESERVED, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
