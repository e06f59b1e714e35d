"""Reservations: packs held in stock for an opaque reference chosen by the caller.

Stock knows nothing of orders; a caller reserves for a reference such as
"order-line:42" and releases by the same reference.

- Available packs of an article = on hand in usable lots (not quarantined, not
  expired) minus the packs of `active` reservations, per depot.
- `reserve` holds the packs when the depots together cover them (one reservation
  row per depot it takes from, largest free quantity first), else records one
  `backordered` reservation for the whole quantity, to be filled when stock arrives.
- The ledger gets a `reservation` movement (+packs held) for each active
  reservation and a `release` movement (-packs) when one is released; the sum of
  both per reference is what is still held. Neither changes `on_hand`, so an
  on-hand check over the ledger must leave these two kinds out. Backorders hold
  nothing and write no movement.
- Statuses: `active`, `backordered`, `picked` (left to picking), `released`.

Concurrency: `reserve` reads availability and writes in one transaction under a
lock on the article's lots (SELECT ... FOR UPDATE on PostgreSQL; on SQLite a
write that takes the database's single write lock), so two reservations never
both take the last packs. Functions do not commit: the caller's use case does.
"""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa

from sesamlike.errors import Conflict
from sesamlike.extensions import db
from sesamlike.stock.models import (
    Depot,
    MovementKind,
    Reservation,
    StockLot,
    StockMovement,
)

RESERVED = "reserved"
BACKORDERED = "backordered"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    BACKORDERED = "backordered"
    PICKED = "picked"
    RELEASED = "released"


RELEASABLE = (ReservationStatus.ACTIVE, ReservationStatus.BACKORDERED)


class NoDepot(Conflict):
    code = "no_depot"
    message = (
        "Det finns inget lager att reservera eller restnotera i. "
        "Kontakta hjälpmedelscentralen."
    )


def available(
    article_id: int, depot_id: int | None = None, *, today: date | None = None
) -> int:
    """Packs of the article free to reserve, in one depot or all depots."""
    free = _free_by_depot(article_id, today or date.today())
    if depot_id is not None:
        return max(free.get(depot_id, 0), 0)
    return sum(max(packs, 0) for packs in free.values())


def reserve(
    reference: str,
    article_id: int,
    packs: int,
    *,
    user_id: int | None = None,
    today: date | None = None,
) -> str:
    """Hold packs for the reference: "reserved", or "backordered" when short."""
    if packs <= 0:
        raise ValueError(f"packs must be positive, not {packs}")
    _lock_article(article_id)
    free = _free_by_depot(article_id, today or date.today())
    if sum(max(n, 0) for n in free.values()) < packs:
        db.session.add(
            Reservation(
                reference=reference,
                depot_id=_backorder_depot(article_id),
                article_id=article_id,
                packs=packs,
                status=ReservationStatus.BACKORDERED,
            )
        )
        return BACKORDERED
    wanted = packs
    for depot_id, depot_free in sorted(free.items(), key=lambda kv: (-kv[1], kv[0])):
        take = min(depot_free, wanted)
        if take <= 0:
            break
        _hold(reference, depot_id, article_id, take, user_id)
        wanted -= take
    return RESERVED


def release(reference: str, *, user_id: int | None = None) -> int:
    """Release every open reservation of the reference; return the packs freed."""
    rows = db.session.scalars(
        sa.select(Reservation)
        .where(Reservation.reference == reference, Reservation.status.in_(RELEASABLE))
        .order_by(Reservation.id)
        .with_for_update()
    ).all()
    freed = 0
    for row in rows:
        # Compare-and-set, so a concurrent pick or release of the same row wins once.
        changed = db.session.execute(
            sa.update(Reservation)
            .where(Reservation.id == row.id, Reservation.status == row.status)
            .values(status=ReservationStatus.RELEASED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed and row.status == ReservationStatus.ACTIVE:
            freed += row.packs
            db.session.add(
                StockMovement(
                    kind=MovementKind.RELEASE,
                    depot_id=row.depot_id,
                    article_id=row.article_id,
                    packs=-row.packs,
                    reference=reference,
                    user_id=user_id,
                )
            )
        db.session.expire(row, ["status"])
    return freed


def _hold(
    reference: str, depot_id: int, article_id: int, packs: int, user_id: int | None
) -> None:
    db.session.add(
        Reservation(
            reference=reference,
            depot_id=depot_id,
            article_id=article_id,
            packs=packs,
            status=ReservationStatus.ACTIVE,
        )
    )
    db.session.add(
        StockMovement(
            kind=MovementKind.RESERVATION,
            depot_id=depot_id,
            article_id=article_id,
            packs=packs,
            reference=reference,
            user_id=user_id,
        )
    )


def _lock_article(article_id: int) -> None:
    """Serialise reservations of one article until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(StockLot.id)
            .where(StockLot.article_id == article_id)
            .order_by(StockLot.id)
            .with_for_update()
        )
    else:
        # SQLite has no row locks; any write takes its single write lock (even
        # when no row matches) and holds it to commit, so readers after it here
        # see the latest state and no other writer can slip in between.
        db.session.execute(
            sa.update(StockLot)
            .where(StockLot.article_id == article_id)
            .values(on_hand=StockLot.on_hand)
            .execution_options(synchronize_session=False)
        )


def _free_by_depot(article_id: int, today: date) -> dict[int, int]:
    """{depot_id: usable on hand - active reservations} for every depot involved."""
    on_hand = db.session.execute(
        sa.select(StockLot.depot_id, sa.func.sum(StockLot.on_hand))
        .where(
            StockLot.article_id == article_id,
            StockLot.quarantined.is_(False),
            sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= today),
        )
        .group_by(StockLot.depot_id)
    ).all()
    held = db.session.execute(
        sa.select(Reservation.depot_id, sa.func.sum(Reservation.packs))
        .where(
            Reservation.article_id == article_id,
            Reservation.status == ReservationStatus.ACTIVE,
        )
        .group_by(Reservation.depot_id)
    ).all()
    free: dict[int, int] = {depot: int(n or 0) for depot, n in on_hand}
    for depot, n in held:
        free[depot] = free.get(depot, 0) - int(n or 0)
    return free


def _backorder_depot(article_id: int) -> int:
    """The depot that usually stocks the article, else the first depot."""
    depot_id = db.session.scalar(
        sa.select(StockLot.depot_id)
        .where(StockLot.article_id == article_id)
        .group_by(StockLot.depot_id)
        .order_by(sa.func.sum(StockLot.on_hand).desc(), StockLot.depot_id)
        .limit(1)
    ) or db.session.scalar(sa.select(Depot.id).order_by(Depot.id).limit(1))
    if depot_id is None:
        raise NoDepot()
    return depot_id
