"""Backorders waiting for stock, in the order `fill_backorders` serves them.

`fill_backorders` fills an article's backorders first placed, first served,
from every depot's free packs, and stops at the first one they do not cover.
So a backorder is filled once the packs it wants, and those of every earlier
backorder of the article, are free: `short` says how many must still come in.
Purchases the system knows of are ordered proposals (first ordered first), else
an open proposal not yet ordered. Stock knows nothing of orders: rows carry
their reservation's opaque reference.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.extensions import db
from sesamlike.stock.models import (
    Depot,
    ProposalStatus,
    PurchaseProposal,
    Reservation,
)
from sesamlike.stock.overview import by_id
from sesamlike.stock.reservations import ReservationStatus, available_by_article


class Waiting(NamedTuple):
    reservation: Reservation
    article: Article
    depot: Depot
    short: int  # packs to come in before it is filled (earlier backorders first)
    incoming: list[PurchaseProposal]  # ordered from the supplier, else proposed


def waiting(depot_id: int | None = None, *, today: date | None = None) -> list[Waiting]:
    """Backorders waiting in the depot (None: every depot), first placed first."""
    mine = sa.select(Reservation.article_id).where(
        Reservation.status == ReservationStatus.BACKORDERED
    )
    if depot_id is not None:
        mine = mine.where(Reservation.depot_id == depot_id)
    queue = db.session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.status == ReservationStatus.BACKORDERED,
            Reservation.article_id.in_(mine),
        )
        .order_by(Reservation.created_at, Reservation.id)
    ).all()
    if not queue:
        return []
    article_ids = sorted({row.article_id for row in queue})
    articles = by_id(Article, article_ids)
    depots = by_id(Depot, {row.depot_id for row in queue})
    free = available_by_article(article_ids, today=today)
    incoming = _incoming(article_ids)
    wanted: dict[int, int] = defaultdict(int)
    rows = []
    for row in queue:  # every depot's: the queue is the article's, not a depot's
        wanted[row.article_id] += row.packs
        if depot_id is not None and row.depot_id != depot_id:
            continue
        rows.append(
            Waiting(
                row,
                articles[row.article_id],
                depots[row.depot_id],
                max(wanted[row.article_id] - free.get(row.article_id, 0), 0),
                incoming.get((row.depot_id, row.article_id), []),
            )
        )
    return rows


def _incoming(article_ids: list[int]) -> dict[tuple[int, int], list[PurchaseProposal]]:
    """Per depot and article: the purchases ordered, first ordered first; else
    the open proposal (not ordered yet)."""
    found: dict[tuple[int, int], list[PurchaseProposal]] = defaultdict(list)
    proposals = db.session.scalars(
        sa.select(PurchaseProposal)
        .where(
            PurchaseProposal.article_id.in_(article_ids),
            PurchaseProposal.status.in_((ProposalStatus.ORDERED, ProposalStatus.OPEN)),
        )
        .order_by(PurchaseProposal.decided_at, PurchaseProposal.id)
    )
    for proposal in proposals:
        key = (proposal.depot_id, proposal.article_id)
        if proposal.status == ProposalStatus.ORDERED:
            found[key] = [p for p in found[key] if p.status != ProposalStatus.OPEN]
            found[key].append(proposal)
        elif not found[key]:
            found[key].append(proposal)
    return dict(found)
