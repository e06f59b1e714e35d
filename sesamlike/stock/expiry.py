"""Expiry: flag lots that expire soon, quarantine lots that have expired.

A flag is stored once per lot (unique), so the daily check can run any number of
times. Quarantine sets the lot's `quarantined` mark, which reservations already
respect, and writes a `quarantine` row to the ledger. That row moves no packs
(packs 0): the packs are still on the shelf until someone scraps them, so the
ledger's sum per lot keeps matching `on_hand`.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.stock.models import LotExpiryFlag, StockLot, StockMovement

EXPIRY_WARNING_DAYS = 60
QUARANTINE_KIND = "quarantine"
EXPIRED_REASON = "expired"


def _expiring_by(today: date) -> tuple[sa.ColumnElement[bool], ...]:
    """Lots with packs left that have expired or expire within the warning days."""
    horizon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    return (
        StockLot.expiry.is_not(None),
        StockLot.expiry <= horizon,
        StockLot.on_hand > 0,
    )


def check_expiry(today: date) -> dict[str, int]:
    """Flag lots expiring within 60 days; quarantine expired ones; commit."""
    counts = dict(flagged=0, quarantined=0)
    lots = db.session.scalars(
        sa.select(StockLot)
        .where(*_expiring_by(today))
        # In the order every order locks an article's lots with packs (by
        # article, then lot): in another order, this run and an order of two
        # of these articles could each hold a lot the other waits for.
        .order_by(StockLot.article_id, StockLot.id)
        .with_for_update()
    ).all()
    flags = {
        flag.lot_id: flag
        for flag in db.session.scalars(
            sa.select(LotExpiryFlag).where(
                LotExpiryFlag.lot_id.in_([lot.id for lot in lots])
            )
        )
    }
    for lot in lots:
        flag = flags.get(lot.id)
        if flag is None:
            flag = LotExpiryFlag(
                lot_id=lot.id, expiry=lot.expiry, packs=lot.on_hand, flagged_on=today
            )
            db.session.add(flag)
            counts["flagged"] += 1
        if lot.expiry < today and not lot.quarantined:
            lot.quarantined = True
            flag.quarantined_at = utcnow()
            db.session.add(
                StockMovement(
                    kind=QUARANTINE_KIND,
                    depot_id=lot.depot_id,
                    article_id=lot.article_id,
                    lot_id=lot.id,
                    packs=0,
                    reason_code=EXPIRED_REASON,
                )
            )
            counts["quarantined"] += 1
    db.session.commit()
    return counts


def lots_to_watch(today: date) -> list[StockLot]:
    """Lots with packs left that have expired or expire within the warning
    days, soonest first: read as they stand, not only those the nightly check
    has flagged (a lot received expired, or since the last check, counts)."""
    return list(
        db.session.scalars(
            sa.select(StockLot)
            .where(*_expiring_by(today))
            .options(selectinload(StockLot.depot), selectinload(StockLot.article))
            .order_by(StockLot.expiry, StockLot.id)
        )
    )
