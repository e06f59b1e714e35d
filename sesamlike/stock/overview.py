"""What the stock overview shows: lots on hand with expiry warnings, and totals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock.models import Depot, Reservation, StockLot
from sesamlike.stock.reservations import ReservationStatus

EXPIRY_WARNING_DAYS = 60


class LotRow(NamedTuple):
    lot: StockLot
    expired: bool
    expires_soon: bool


class Total(NamedTuple):
    article: Article
    depot: Depot
    on_hand: int
    reserved: int
    available: int
    backordered: int
    # Blocked, expired or in quarantine: on the shelf, never reserved or picked
    # (the API's `unusable`); with `on_hand` it is the lots' sum.
    unusable: int = 0

    @property
    def in_stock(self) -> int:
        """Every pack on the shelf, as the lots table adds up."""
        return self.on_hand + self.unusable


def lots(today: date | None = None) -> list[LotRow]:
    """Lots with packs on hand, by article, depot and earliest expiry."""
    today = today or region_today()
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    rows = db.session.scalars(
        sa.select(StockLot)
        .join(Article, Article.id == StockLot.article_id)
        .join(Depot, Depot.id == StockLot.depot_id)
        .options(selectinload(StockLot.article), selectinload(StockLot.depot))
        .where(StockLot.on_hand > 0)
        .order_by(
            Article.article_no,
            Depot.code,
            StockLot.expiry.is_(None),
            StockLot.expiry,
            StockLot.id,
        )
    ).all()
    return [
        LotRow(
            lot,
            lot.expiry is not None and lot.expiry < today,
            lot.expiry is not None and today <= lot.expiry <= soon,
        )
        for lot in rows
    ]


def totals(today: date | None = None) -> list[Total]:
    """Per article and depot: usable on hand, reserved, available, backordered,
    and unusable on hand."""
    today = today or region_today()
    usable = sa.and_(
        StockLot.quarantined.is_(False),
        sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= today),
    )
    on_hand: dict[tuple[int, int], int] = {}
    unusable: dict[tuple[int, int], int] = {}
    for a, d, good, bad in db.session.execute(
        sa.select(
            StockLot.article_id,
            StockLot.depot_id,
            sa.func.sum(sa.case((usable, StockLot.on_hand), else_=0)),
            sa.func.sum(sa.case((usable, 0), else_=StockLot.on_hand)),
        ).group_by(StockLot.article_id, StockLot.depot_id)
    ):
        on_hand[a, d], unusable[a, d] = int(good or 0), int(bad or 0)
    held: dict[tuple[int, int], dict[str, int]] = {}
    for a, d, status, n in db.session.execute(
        sa.select(
            Reservation.article_id,
            Reservation.depot_id,
            Reservation.status,
            sa.func.sum(Reservation.packs),
        )
        .where(
            Reservation.status.in_(
                (ReservationStatus.ACTIVE, ReservationStatus.BACKORDERED)
            )
        )
        .group_by(Reservation.article_id, Reservation.depot_id, Reservation.status)
    ):
        held.setdefault((a, d), {})[status] = int(n)
    keys = set(on_hand) | set(held)
    articles = by_id(Article, {a for a, _ in keys})
    depots = by_id(Depot, {d for _, d in keys})
    result = []
    for a, d in keys:
        packs = on_hand.get((a, d), 0)
        reserved = held.get((a, d), {}).get(ReservationStatus.ACTIVE, 0)
        result.append(
            Total(
                articles[a],
                depots[d],
                packs,
                reserved,
                max(packs - reserved, 0),
                held.get((a, d), {}).get(ReservationStatus.BACKORDERED, 0),
                unusable.get((a, d), 0),
            )
        )
    return sorted(result, key=lambda t: (t.article.article_no, t.depot.code))


def by_id(model, ids) -> dict:
    """The rows of `model` with these ids, by id (none asked: no query)."""
    if not ids:
        return {}
    return {
        row.id: row
        for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))
    }
