"""The stock ledger: every change of a lot's on-hand goes through `book`.

Movement kinds and what they do to a lot's `on_hand`:
- receipt (+), pick (-), return (+), adjustment (+/-, with a reason code),
  scrap (-): these change on hand, so on hand is the sum of them per lot.
- reservation (+) / release (-) count packs held for a reference, and ship (-)
  records packs leaving the building after their pick. They carry no lot or do
  not change on hand, and `ledger_mismatches` leaves them out.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.stock.models import MovementKind, StockLot, StockMovement

ON_HAND_KINDS = (
    MovementKind.RECEIPT,
    MovementKind.PICK,
    MovementKind.RETURN,
    MovementKind.ADJUSTMENT,
    MovementKind.SCRAP,
)
QUARANTINE_LOT = "KARANTÄN"
# Packs put back whose lot is not known (history imported from the old system).
UNKNOWN_LOT = "OKÄNT PARTI"


class AdjustmentReason:
    """Reason codes of adjustments (cycle counts and corrections)."""

    COUNT = "count"  # inventering: counted differs from the books
    DAMAGED = "damaged"
    FOUND = "found"
    MISPLACED = "misplaced"
    RECONDITIONED = "reconditioned"
    OTHER = "other"


COUNT_REASONS = ("count", "damaged", "found", "misplaced", "other")


class Mismatch(NamedTuple):
    lot_id: int
    on_hand: int
    ledger: int


def book(
    kind: str,
    lot: StockLot,
    packs: int,
    *,
    reference: str | None = None,
    reason_code: str | None = None,
    user_id: int | None = None,
) -> StockMovement:
    """Change the lot's on hand by packs (signed) and write the movement."""
    if kind not in ON_HAND_KINDS:
        raise ValueError(f"{kind} does not change on hand")
    # A relative UPDATE, so two bookings on one lot never lose one another.
    db.session.execute(
        sa.update(StockLot)
        .where(StockLot.id == lot.id)
        .values(on_hand=StockLot.on_hand + packs)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(lot, ["on_hand"])
    movement = StockMovement(
        kind=kind,
        depot_id=lot.depot_id,
        article_id=lot.article_id,
        lot_id=lot.id,
        packs=packs,
        reference=reference,
        reason_code=reason_code,
        user_id=user_id,
    )
    db.session.add(movement)
    return movement


def get_or_create_lot(
    depot_id: int,
    article_id: int,
    lot_code: str,
    *,
    expiry=None,
    bin: str | None = None,
    quarantined: bool = False,
) -> StockLot:
    """The lot row of (depot, article, lot code), made on first use."""
    lot = db.session.scalar(
        sa.select(StockLot).where(
            StockLot.depot_id == depot_id,
            StockLot.article_id == article_id,
            StockLot.lot == lot_code,
        )
    )
    if lot is None:
        lot = StockLot(
            depot_id=depot_id,
            article_id=article_id,
            lot=lot_code,
            expiry=expiry,
            bin=bin,
            on_hand=0,
            quarantined=quarantined,
        )
        db.session.add(lot)
        db.session.flush()
    return lot


def quarantine_lot(depot_id: int, article_id: int) -> StockLot:
    """Where returned devices wait for reconditioning or scrapping; never picked."""
    return get_or_create_lot(depot_id, article_id, QUARANTINE_LOT, quarantined=True)


def ledger_mismatches() -> list[Mismatch]:
    """Lots whose on hand is not the sum of their on-hand movements."""
    sums = (
        sa.select(
            StockMovement.lot_id.label("lot_id"),
            sa.func.sum(StockMovement.packs).label("packs"),
        )
        .where(StockMovement.kind.in_(ON_HAND_KINDS), StockMovement.lot_id.isnot(None))
        .group_by(StockMovement.lot_id)
        .subquery()
    )
    ledger = sa.func.coalesce(sums.c.packs, 0)
    rows = db.session.execute(
        sa.select(StockLot.id, StockLot.on_hand, ledger)
        .outerjoin(sums, sums.c.lot_id == StockLot.id)
        .where(StockLot.on_hand != ledger)
        .order_by(StockLot.id)
    ).all()
    return [Mismatch(lot_id, on_hand, int(packs)) for lot_id, on_hand, packs in rows]


def lots_picked_for(reference: str) -> list[StockLot]:
    """The lots the reference has packs picked from and not yet put back."""
    net = (
        sa.select(StockMovement.lot_id)
        .where(
            StockMovement.reference == reference,
            StockMovement.kind.in_((MovementKind.PICK, MovementKind.RETURN)),
            StockMovement.lot_id.isnot(None),
        )
        .group_by(StockMovement.lot_id)
        .having(sa.func.sum(StockMovement.packs) < 0)
    )
    return list(
        db.session.scalars(
            sa.select(StockLot).where(StockLot.id.in_(net)).order_by(StockLot.id)
        )
    )


def put_back(
    reference: str,
    *,
    packs: int | None = None,
    user_id: int | None = None,
    reason_code: str | None = None,
) -> int:
    """Book the reference's picked, not yet returned packs back into their lots.

    `packs`: at most this many (a partial return), lot by lot; None: all of them.
    `reason_code`: why, on the return movements (CANCELLED_AFTER_PICK).
    """
    net = db.session.execute(
        sa.select(StockMovement.lot_id, sa.func.sum(StockMovement.packs))
        .where(
            StockMovement.reference == reference,
            StockMovement.kind.in_((MovementKind.PICK, MovementKind.RETURN)),
            StockMovement.lot_id.isnot(None),
        )
        .group_by(StockMovement.lot_id)
        .order_by(StockMovement.lot_id)
    ).all()
    returned = 0
    for lot_id, net_packs in net:
        out = -int(net_packs or 0)
        if packs is not None:
            out = min(out, packs - returned)
        if out > 0:
            lot = db.session.get(StockLot, lot_id)
            book(
                MovementKind.RETURN, lot, out, reference=reference,
                reason_code=reason_code, user_id=user_id,
            )  # fmt: skip
            returned += out
    return returned
