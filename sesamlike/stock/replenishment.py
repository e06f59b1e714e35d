"""Replenishment: reorder points per depot and article, and purchase proposals.

The daily low-stock check compares each reorder point with the article's stock
position in that depot: usable packs on hand (not quarantined, not expired),
minus packs held by active reservations and wanted by backorders, plus packs
already ordered from the supplier and not yet received. At or below the reorder
level it proposes enough packs to reach the order-up-to level; an article with
no reorder point in a depot whose backorders take the position below 0 gets a
proposal of the packs the patients wait for (order-up-to 0). A depot and
article has at most one open proposal (a partial unique index says so), so a
repeated run refreshes that proposal instead of adding another. A clerk marks a
proposal ordered (or dismisses it); an ordered proposal counts as incoming until
receipts of at least its packs have arrived after it was ordered. A receipt, or
a backorder filled or cancelled, weighs the article's open proposals again in its
own transaction (`recheck`); an open proposal the stock now covers is dismissed.
A movement that lowers the position (a reservation or backorder of an order, a
count below the books) checks its articles in its own transaction too
(`recheck_lowered`) when it takes a position to or below its point: the
proposal is there the same day, not after the next daily check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article, Channel
from sesamlike.common.errors import Invalid, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.stock import errors
from sesamlike.stock.models import (
    Depot,
    MovementKind,
    ProposalStatus,
    PurchaseProposal,
    ReorderPoint,
    Reservation,
    StockLot,
    StockMovement,
)

MAX_LEVEL = 1_000_000
# The condition of the index that allows one open proposal per depot and
# article (models.PurchaseProposal, uq_purchase_proposals_open).
OPEN_PROPOSAL_ROWS = "status = 'open'"


# Reorder points -------------------------------------------------------------


def reorder_points() -> list[ReorderPoint]:
    return list(
        db.session.scalars(
            sa.select(ReorderPoint)
            .join(Depot, Depot.id == ReorderPoint.depot_id)
            .join(Article, Article.id == ReorderPoint.article_id)
            .options(
                selectinload(ReorderPoint.depot), selectinload(ReorderPoint.article)
            )
            .order_by(Depot.code, Article.article_no)
        )
    )


def set_reorder_point(
    user: User | None,
    depot_code: str,
    article_no: str,
    reorder_level: int,
    order_up_to: int,
) -> ReorderPoint:
    """Create or change the reorder point of an article in a depot; commit."""
    fields: dict[str, list[str]] = {}
    depot = db.session.scalar(sa.select(Depot).where(Depot.code == depot_code))
    article = db.session.scalar(
        sa.select(Article).where(Article.article_no == (article_no or "").strip())
    )
    if depot is None:
        fields["depot_code"] = [N_("Okänt lager.")]
    if article is None:
        fields["article_no"] = [N_("Okänt artikelnummer.")]
    elif article.channel == Channel.PHARMACY:
        fields["article_no"] = [
            N_(
                "Artikeln lämnas ut via apotek, inte från hjälpmedelscentralens "
                "lager: den har ingen beställningspunkt."
            )
        ]
    if not 0 <= reorder_level < MAX_LEVEL:
        fields["reorder_level"] = [N_("Ange ett heltal, 0 eller mer.")]
    if not reorder_level < order_up_to <= MAX_LEVEL:
        fields["order_up_to"] = [N_("Ska vara större än beställningspunkten.")]
    if fields:
        raise Invalid(fields=fields)
    point = db.session.scalar(
        sa.select(ReorderPoint).where(
            ReorderPoint.depot_id == depot.id, ReorderPoint.article_id == article.id
        )
    )
    if point is None:
        point = ReorderPoint(depot_id=depot.id, article_id=article.id)
        db.session.add(point)
    point.reorder_level = reorder_level
    point.order_up_to = order_up_to
    point.updated_by_id = user.id if user else None
    db.session.commit()
    return point


def delete_reorder_point(point_id: int) -> None:
    point = db.session.get(ReorderPoint, point_id)
    if point is None:
        raise NotVisible()
    db.session.delete(point)
    db.session.commit()


# The low-stock check ----------------------------------------------------------


def check_low_stock(today: date) -> dict[str, int]:
    """Propose purchases where stock is at or below its reorder point, or
    backorders wait with none; commit."""
    counts = _check(today)
    db.session.commit()
    return counts


def recheck(article_id: int, today: date) -> dict[str, int]:
    """The low-stock check of one article's open proposals, in the caller's
    transaction: a receipt, or a cancelled or filled backorder, refreshes or
    dismisses them at once (a proposal a receipt had covered stayed open until
    the next check, and a clerk could order the same pump twice). It proposes
    nothing new: stock that came in raises no position to its point."""
    return _check(today, [article_id], propose=False)


def recheck_lowered(article_ids: Collection[int], today: date) -> dict[str, int]:
    """The low-stock check of these articles, in the caller's transaction,
    after their stock went down (`reservations.plan_many`, a count below the
    books): a position now at or below its reorder point is proposed at once,
    not at the next daily check. The caller holds the articles' locks
    (`reservations.lock_articles`); their open proposals are locked here in
    one statement by id, as the daily check locks them, so the two never wait
    for each other crosswise."""
    return _check(today, article_ids, propose=True)


def _check(
    today: date, article_ids: Collection[int] | None = None, *, propose: bool = True
) -> dict[str, int]:
    """`check_low_stock` of every article, or of `article_ids`' (`propose`:
    new proposals too, `recheck_lowered`; else only their open ones,
    `recheck`)."""
    counts = dict(
        proposed=0, updated=0, unchanged=0, received=0, checked=0, dismissed=0
    )
    articles = None if article_ids is None else sorted(set(article_ids))
    counts["received"] = _close_received(articles)
    open_query = (
        sa.select(PurchaseProposal)
        .where(PurchaseProposal.status == ProposalStatus.OPEN)
        .order_by(PurchaseProposal.id)
        .with_for_update()
    )
    points_query = sa.select(ReorderPoint).options(selectinload(ReorderPoint.article))
    if articles is not None:
        open_query = open_query.where(PurchaseProposal.article_id.in_(articles))
        points_query = points_query.where(ReorderPoint.article_id.in_(articles))
    open_proposals = {
        (p.depot_id, p.article_id): p for p in db.session.scalars(open_query)
    }
    if not propose and not open_proposals:
        return counts
    only = None if propose else set(open_proposals)
    points = [
        point
        for point in db.session.scalars(points_query)
        if only is None or (point.depot_id, point.article_id) in only
    ]
    positions = stock_positions(today, articles)
    for point in sorted(points, key=lambda p: p.id):
        if point.article.channel == Channel.PHARMACY:
            # Stored before such points were refused: never bought here, and
            # a proposal made then is dismissed by the check (no user).
            stale = open_proposals.pop((point.depot_id, point.article_id), None)
            if stale is not None:
                stale.status, stale.decided_at = ProposalStatus.DISMISSED, utcnow()
                counts["dismissed"] += 1
            continue
        counts["checked"] += 1
        key = (point.depot_id, point.article_id)
        position = positions.get(key, 0)
        if position > point.reorder_level:
            # Above the point again (a receipt came): nothing to buy now.
            proposal = open_proposals.pop(key, None)
            if proposal is not None:
                proposal.status, proposal.decided_at = (
                    ProposalStatus.DISMISSED,
                    utcnow(),
                )
                counts["dismissed"] += 1
            else:
                counts["unchanged"] += 1
            continue
        _propose(open_proposals, counts, key, point.article.supplier, position,
                 point.reorder_level, point.order_up_to)  # fmt: skip
    # Backorders of an article with no reorder point in the depot: the
    # packs the patients wait for, or nothing would ever be bought for them.
    pointed = {(point.depot_id, point.article_id) for point in points}
    short = {key: position for key, position in positions.items()
             if position < 0 and key not in pointed
             and (only is None or key in only)}  # fmt: skip
    articles = {
        article.id: article
        for article in db.session.scalars(
            sa.select(Article).where(Article.id.in_({key[1] for key in short}))
        )
    } if short else {}  # fmt: skip
    for key, position in sorted(short.items()):
        article = articles[key[1]]
        if article.channel == Channel.PHARMACY:
            continue
        counts["checked"] += 1
        _propose(open_proposals, counts, key, article.supplier, position, 0, 0)
    # A backorders' proposal whose backorders are gone (filled, cancelled, or
    # covered by a receipt), not decided yet: nothing waits for those packs.
    for key, proposal in sorted(open_proposals.items()):
        if proposal.order_up_to == 0 and key not in pointed and key not in short:
            proposal.status, proposal.decided_at = ProposalStatus.DISMISSED, utcnow()
            counts["dismissed"] += 1
    return counts


def _propose(
    open_proposals: dict, counts: dict, key: tuple[int, int], supplier: str,
    position: int, reorder_level: int, order_up_to: int,
) -> None:  # fmt: skip
    """Propose (or refresh the open proposal of) the packs that bring the
    position up to `order_up_to` (0 with no reorder point: the backorders)."""
    packs = order_up_to - position
    proposal = open_proposals.get(key)
    if proposal is None:
        counts["proposed"] += _insert_open(
            depot_id=key[0],
            article_id=key[1],
            supplier=supplier,
            packs=packs,
            position=position,
            reorder_level=reorder_level,
            order_up_to=order_up_to,
        )
    elif (proposal.packs, proposal.position) != (packs, position):
        proposal.packs, proposal.position = packs, position
        proposal.reorder_level = reorder_level
        proposal.order_up_to = order_up_to
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1


def _insert_open(**values) -> int:
    """Insert an open proposal; 0 when one is open for the depot and article
    already: the daily check, the clerk's button and an order's
    `recheck_lowered` may propose the same at once (the partial unique index
    says one open), and the later must not fail the order or the job."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        PurchaseProposal.__table__
    )
    inserted = db.session.scalar(
        insert.values(status=ProposalStatus.OPEN, **values)
        .on_conflict_do_nothing(
            index_elements=["depot_id", "article_id"],
            index_where=sa.text(OPEN_PROPOSAL_ROWS),
        )
        .returning(PurchaseProposal.__table__.c.id)
    )
    return int(inserted is not None)


def stock_positions(
    today: date, article_ids: Collection[int] | None = None
) -> dict[tuple[int, int], int]:
    """{(depot_id, article_id): usable - held - backordered + on order} packs,
    of every article or of `article_ids`'."""
    usable = sa.select(
        StockLot.depot_id, StockLot.article_id, sa.func.sum(StockLot.on_hand)
    ).where(
        StockLot.quarantined.is_(False),
        sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= today),
    )
    demand = sa.select(
        Reservation.depot_id, Reservation.article_id, -sa.func.sum(Reservation.packs)
    ).where(Reservation.status.in_(("active", "backordered")))
    ordered = sa.select(
        PurchaseProposal.depot_id,
        PurchaseProposal.article_id,
        sa.func.sum(PurchaseProposal.packs),
    ).where(PurchaseProposal.status == ProposalStatus.ORDERED)
    if article_ids is not None:
        usable = usable.where(StockLot.article_id.in_(article_ids))
        demand = demand.where(Reservation.article_id.in_(article_ids))
        ordered = ordered.where(PurchaseProposal.article_id.in_(article_ids))
    position: dict[tuple[int, int], int] = defaultdict(int)
    for query, table in (
        (usable, StockLot),
        (demand, Reservation),
        (ordered, PurchaseProposal),
    ):
        for depot, article, packs in db.session.execute(
            query.group_by(table.depot_id, table.article_id)
        ):
            position[depot, article] += int(packs or 0)
    return dict(position)


def _close_received(article_ids: Collection[int] | None = None) -> int:
    """Ordered proposals (of every article, or of `article_ids`) whose packs
    have been received since they were ordered."""
    closed = 0
    query = sa.select(PurchaseProposal).where(
        PurchaseProposal.status == ProposalStatus.ORDERED
    )
    if article_ids is not None:
        query = query.where(PurchaseProposal.article_id.in_(article_ids))
    ordered = db.session.scalars(
        query.order_by(PurchaseProposal.decided_at, PurchaseProposal.id)
    ).all()
    for proposal in ordered:
        received = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(StockMovement.packs), 0)).where(
                StockMovement.kind == MovementKind.RECEIPT,
                StockMovement.depot_id == proposal.depot_id,
                StockMovement.article_id == proposal.article_id,
                StockMovement.at >= proposal.decided_at,
            )
        )
        if received >= proposal.packs:
            proposal.status = ProposalStatus.RECEIVED
            closed += 1
    return closed


# Proposals on the clerk's page ----------------------------------------------


def proposals(statuses=(ProposalStatus.OPEN, ProposalStatus.ORDERED)):
    """Proposals by supplier, then depot and article: one purchase order each."""
    return list(
        db.session.scalars(
            sa.select(PurchaseProposal)
            .join(Article, Article.id == PurchaseProposal.article_id)
            .join(Depot, Depot.id == PurchaseProposal.depot_id)
            .where(PurchaseProposal.status.in_(statuses))
            .options(
                selectinload(PurchaseProposal.article),
                selectinload(PurchaseProposal.depot),
            )
            .order_by(PurchaseProposal.supplier, Depot.code, Article.article_no)
        )
    )


def decide_proposal(user: User | None, proposal_id: int, status: str):
    """Mark an open proposal ordered or dismissed; commit."""
    if status not in (ProposalStatus.ORDERED, ProposalStatus.DISMISSED):
        raise Invalid()
    changed = db.session.execute(
        sa.update(PurchaseProposal)
        .where(
            PurchaseProposal.id == proposal_id,
            PurchaseProposal.status == ProposalStatus.OPEN,
        )
        .values(
            status=status, decided_at=utcnow(), decided_by_id=user.id if user else None
        )
    ).rowcount
    if changed != 1:
        db.session.rollback()
        if db.session.get(PurchaseProposal, proposal_id) is None:
            raise NotVisible()
        raise errors.ProposalAlreadyDecided()
    db.session.commit()
    return db.session.get(PurchaseProposal, proposal_id)
