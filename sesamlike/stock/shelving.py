"""Packs picked for a reference that was cancelled before it shipped.

The books put them back in the lots they were picked from at once
(`reservations.release`: return movements with reason CANCELLED_AFTER_PICK),
but the packs themselves wait at the packing table. Until a clerk says they
are back on the shelf (a `shelved` ledger row of 0 packs per lot, as expiry's
"quarantine" row), the depot's pages say where each goes: lot and bin. Stock
knows nothing of orders: rows carry the opaque reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from sesamlike.common.sql import written_out
from sesamlike.extensions import db
from sesamlike.stock.models import (
    CANCELLED_AFTER_PICK,
    SHELVED_KIND,
    MovementKind,
    StockLot,
    StockMovement,
)


class ToShelve(NamedTuple):
    reference: str
    lot: StockLot
    packs: int


def to_shelve(
    *, depot_id: int | None = None, references: Iterable[str] | None = None
) -> list[ToShelve]:
    """Packs of cancelled references still to put back, lot by lot, oldest first
    (of one depot, or of these references), however long ago: until a clerk
    says they are back, the books count packs that are not on the shelf. The
    rows come from their own partial index, not a read of the whole ledger."""
    shelved = aliased(StockMovement)
    query = (
        sa.select(
            StockMovement.reference,
            StockMovement.lot_id,
            sa.func.sum(StockMovement.packs),
            sa.func.min(StockMovement.id).label("first"),
        )
        .where(
            # As the partial indexes say it (models.PUT_BACK_ROWS, SHELVED_ROWS).
            StockMovement.kind == written_out(MovementKind.RETURN),
            StockMovement.reason_code == written_out(CANCELLED_AFTER_PICK),
            StockMovement.lot_id.isnot(None),
            ~sa.exists().where(
                shelved.kind == written_out(SHELVED_KIND),
                shelved.reference == StockMovement.reference,
                shelved.lot_id == StockMovement.lot_id,
            ),
        )
        .group_by(StockMovement.reference, StockMovement.lot_id)
        .order_by("first")
    )
    if depot_id is not None:
        query = query.where(StockMovement.depot_id == depot_id)
    if references is not None:
        query = query.where(StockMovement.reference.in_(list(references)))
    rows = db.session.execute(query).all()
    lots = {
        lot.id: lot
        for lot in db.session.scalars(
            sa.select(StockLot)
            .where(StockLot.id.in_({lot_id for _r, lot_id, _p, _f in rows}))
            .options(selectinload(StockLot.article))
        )
    }
    return [
        ToShelve(reference, lots[lot_id], int(packs))
        for reference, lot_id, packs, _first in rows
    ]


def shelve(reference: str, *, user_id: int | None = None) -> int:
    """Record that the reference's cancelled packs are back on the shelf;
    return how many (0: none were waiting). Moves nothing on the books."""
    waiting = to_shelve(references=[reference])
    for row in waiting:
        db.session.add(
            StockMovement(
                kind=SHELVED_KIND,
                depot_id=row.lot.depot_id,
                article_id=row.lot.article_id,
                lot_id=row.lot.id,
                packs=0,
                reference=reference,
                user_id=user_id,
            )
        )
    return sum(row.packs for row in waiting)
