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
- Statuses: `active`, `backordered`, `picked` (left to picking), `shipped`,
  `released`, and `filled` for a backorder that `fill_backorders` replaced by
  active rows when stock arrived.
- `fill_backorders` serves backorders strictly first placed, first served: it
  stops at the first one the free stock cannot cover, so a large early order
  is never starved by later small ones.

Concurrency: `reserve` reads availability and writes in one transaction under a
lock on the article (on PostgreSQL its advisory lock and a row lock on each of
its lots with packs, `lock_articles`; on SQLite a write that takes the
database's single write lock), so two reservations never both take the last
packs. Functions do not commit: the caller's use case does.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from sesamlike.common.sql import written_out
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import ledger, replenishment
from sesamlike.stock.errors import NoDepot
from sesamlike.stock.models import (
    CANCELLED_AFTER_PICK,
    Depot,
    MovementKind,
    ProposalStatus,
    PurchaseProposal,
    ReorderPoint,
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
    SHIPPED = "shipped"
    RELEASED = "released"
    FILLED = "filled"


# Packs held in a depot for a reference: to pick there, or picked there.
HELD = (ReservationStatus.ACTIVE, ReservationStatus.PICKED)

RELEASABLE = (
    ReservationStatus.ACTIVE,
    ReservationStatus.BACKORDERED,
    ReservationStatus.PICKED,  # cancelled after picking: the packs go back
)


# Active reservations, as their partial index says it (models.
# ACTIVE_RESERVATION_ROWS, `common.sql.written_out`): an article's held packs
# are summed from its active reservations, not from every one it ever had.
_ACTIVE = Reservation.status == written_out(ReservationStatus.ACTIVE)


def available(
    article_id: int, depot_id: int | None = None, *, today: date | None = None
) -> int:
    """Packs of the article free to reserve, in one depot or all depots."""
    free = _free_by_depot(article_id, today or region_today())
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
    return reserve_many([(reference, article_id, packs)], user_id=user_id, today=today)[
        0
    ]


def reserve_many(
    wanted: Sequence[tuple[str, int, int]],
    *,
    user_id: int | None = None,
    today: date | None = None,
) -> list[str]:
    """`reserve` for each (reference, article_id, packs), in the order given.

    The same holds as one `reserve` after another: the articles are locked in
    one statement (`lock_articles`: article by article, their lots with packs
    in id order, as one call after another would), their free stock read in
    one, and each reservation taken from what the earlier ones left. The rows
    are written at the end, each table's in one statement (no ORM objects:
    nothing here reads them back).
    """
    planned = plan_many(
        [(article_id, packs) for _reference, article_id, packs in wanted],
        user_id=user_id,
        today=today,
    )
    planned.write([reference for reference, _article_id, _packs in wanted])
    return planned.statuses


class Planned(NamedTuple):
    """`reserve_many`'s outcome before its references exist: each wanted
    item's status, the rows to write once the references are known, and the
    articles these reservations take to or below a reorder point (`low`)."""

    statuses: list[str]
    rows: _Rows
    low: tuple[int, ...] = ()
    today: date | None = None

    def write(self, references: Sequence[str]) -> None:
        """Insert the rows, each naming the reference of its wanted item; then
        propose a purchase of the articles they took low, in this
        transaction (`replenishment.recheck_lowered`), with the rows in."""
        for row in [*self.rows.reservations, *self.rows.movements]:
            row["reference"] = references[row["reference"]]
        self.rows.write()
        if self.low:
            replenishment.recheck_lowered(self.low, self.today)


def plan_many(
    wanted: Sequence[tuple[int, int]],
    *,
    user_id: int | None = None,
    today: date | None = None,
) -> Planned:
    """`reserve_many` for each (article_id, packs), but written only by
    `Planned.write`: an order knows its lines' statuses before it inserts them
    (one statement fewer than setting them afterwards). The locks are taken
    here and held to the commit, as `reserve_many`'s are."""
    for _article_id, packs in wanted:
        if packs <= 0:
            raise ValueError(f"packs must be positive, not {packs}")
    statuses: list[str] = []
    rows = _Rows([], [])
    if not wanted:
        return Planned(statuses, rows)
    articles = sorted({article_id for article_id, _packs in wanted})
    lock_articles(articles)
    today = today or region_today()
    free, weighed = _free_and_weighed(articles, today)
    # Until `write`, a row's "reference" is the index of its wanted item.
    for index, (article_id, packs) in enumerate(wanted):
        article_free = free.setdefault(article_id, {})
        if sum(max(n, 0) for n in article_free.values()) < packs:
            rows.reservations.append(
                {
                    "reference": index,
                    "depot_id": usual_depot(article_id),
                    "article_id": article_id,
                    "packs": packs,
                    "status": ReservationStatus.BACKORDERED,
                }
            )
            statuses.append(BACKORDERED)
            continue
        _take(index, article_id, packs, article_free, user_id, rows)
        statuses.append(RESERVED)
    return Planned(statuses, rows, _taken_low(free, weighed, rows), today)


def fill_backorders(
    article_id: int, *, user_id: int | None = None, today: date | None = None
) -> list[str]:
    """Reserve for the article's backorders in order of placement, and weigh
    its open purchase proposals again (`replenishment.recheck`); return the refs."""
    lock_article(article_id)
    today = today or region_today()
    waiting = db.session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.article_id == article_id,
            Reservation.status == ReservationStatus.BACKORDERED,
        )
        .order_by(Reservation.created_at, Reservation.id)
    ).all()
    filled: list[str] = []
    for row in waiting:
        free = _free_by_depot(article_id, today)
        if sum(max(n, 0) for n in free.values()) < row.packs:
            break  # first come, first served: later orders wait behind this one
        changed = db.session.execute(
            sa.update(Reservation)
            .where(
                Reservation.id == row.id,
                Reservation.status == ReservationStatus.BACKORDERED,
            )
            .values(status=ReservationStatus.FILLED)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.expire(row, ["status"])
        if changed:  # not cancelled meanwhile
            rows = _Rows([], [])
            _take(row.reference, article_id, row.packs, free, user_id, rows)
            rows.write()
            filled.append(row.reference)
    # Stock came (a receipt, a return, a count) or went free: the article's
    # open purchase proposals are weighed again now, not at the next check.
    replenishment.recheck(article_id, today)
    return filled


def held(reference: str, *statuses: str) -> list[Reservation]:
    """The reference's reservation rows in these statuses (default: active)."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.reference == reference,
                Reservation.status.in_(statuses or (ReservationStatus.ACTIVE,)),
            )
            .order_by(Reservation.id)
        )
    )


def references_in(references: list[str], status: str) -> set[str]:
    """Those of the references with a reservation row in the status."""
    if not references:
        return set()
    return set(
        db.session.scalars(
            sa.select(Reservation.reference).where(
                Reservation.reference.in_(references), Reservation.status == status
            )
        )
    )


# `holding`'s answers.
HELD_HERE, HELD_ELSEWHERE = 2, 1


def holding(reference: sa.ColumnElement[str], depot_id: int) -> sa.ScalarSelect:
    """Where packs are held (`HELD`) for the reference, a column or an
    expression of the caller's query: HELD_HERE when in the depot (too),
    HELD_ELSEWHERE when in other depots only, NULL when nowhere. One probe of
    the references' index."""
    where = sa.case((Reservation.depot_id == depot_id, HELD_HERE),
                    else_=HELD_ELSEWHERE)  # fmt: skip
    return (
        sa.select(sa.func.max(where))
        .where(Reservation.reference == reference, Reservation.status.in_(HELD))
        .scalar_subquery()
    )


def depots_of(reference: str) -> list[int]:
    """The depots holding the reference's active reservations."""
    return list(
        db.session.scalars(
            sa.select(Reservation.depot_id)
            .where(
                Reservation.reference == reference,
                Reservation.status == ReservationStatus.ACTIVE,
            )
            .distinct()
        )
    )


def depots_holding(references: Sequence[str]) -> dict[str, list[Depot]]:
    """Per reference: the depots holding its packs (`HELD`), by code."""
    wanted = list(dict.fromkeys(references))
    if not wanted:
        return {}
    found: dict[str, list[Depot]] = {}
    rows = db.session.execute(
        sa.select(Reservation.reference, Depot)
        .join(Depot, Depot.id == Reservation.depot_id)
        .where(Reservation.reference.in_(wanted), Reservation.status.in_(HELD))
        .distinct()
        .order_by(Depot.code)
    )
    for reference, depot in rows:
        found.setdefault(reference, []).append(depot)
    return found


class Level(NamedTuple):
    on_hand: int  # usable: not quarantined, not past expiry
    reserved: int
    available: int
    unusable: int  # quarantined or past expiry, never reserved or picked


def stock_level(
    article_id: int, depot_id: int | None = None, *, today: date | None = None
) -> Level:
    """On hand, reserved and available packs; available never below zero."""
    today = today or region_today()
    usable = sa.and_(
        StockLot.quarantined.is_(False),
        sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= today),
    )
    lots = sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((usable, StockLot.on_hand), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((usable, 0), else_=StockLot.on_hand)), 0),
    ).where(StockLot.article_id == article_id, _STOCKED)
    holds = sa.select(sa.func.coalesce(sa.func.sum(Reservation.packs), 0)).where(
        Reservation.article_id == article_id, _ACTIVE
    )
    if depot_id is not None:
        lots = lots.where(StockLot.depot_id == depot_id)
        holds = holds.where(Reservation.depot_id == depot_id)
    on_hand, unusable = (int(n) for n in db.session.execute(lots).one())
    reserved = int(db.session.scalar(holds))
    return Level(on_hand, reserved, max(on_hand - reserved, 0), unusable)


def release(reference: str, *, user_id: int | None = None) -> int:
    """Release every open reservation of the reference; return the packs freed."""
    rows = db.session.scalars(
        sa.select(Reservation)
        .where(Reservation.reference == reference, Reservation.status.in_(RELEASABLE))
        .order_by(Reservation.id)
        .with_for_update()
    ).all()
    freed, picked_back = 0, False
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
        if changed and row.status == ReservationStatus.PICKED:
            picked_back = True
        db.session.expire(row, ["status"])
    if picked_back:
        # Before the lots the packs go back to.
        lock_articles(row.article_id for row in rows)
        freed += ledger.put_back(
            reference, user_id=user_id, reason_code=CANCELLED_AFTER_PICK
        )
    return freed


class _Rows(NamedTuple):
    """Reservation and movement rows to insert, each table in one statement."""

    reservations: list[dict]
    movements: list[dict]

    def write(self) -> None:
        # Bulk inserts: nothing reads these rows back in the request, so no
        # ORM objects and no ids fetched, and several rows go in one statement.
        # Into the tables, not the mapped classes: the ORM's bulk path (which
        # maps each dict's keys to attributes) cost a quarter of the insert's
        # CPU, and the rows carry column names already. Every row names the
        # same columns (the first row's are the statement's), and a None goes
        # in as NULL: a default given to such a column later would not apply.
        if self.reservations:
            db.session.execute(_INSERT_RESERVATIONS, self.reservations)
        if self.movements:
            db.session.execute(_INSERT_MOVEMENTS, self.movements)


_INSERT_RESERVATIONS = sa.insert(Reservation.__table__)
_INSERT_MOVEMENTS = sa.insert(StockMovement.__table__)


def _take(
    reference: str | int,
    article_id: int,
    packs: int,
    free: dict[int, int],
    user_id: int | None,
    rows: _Rows,
) -> None:
    """Hold packs from the depots with most free stock first."""
    wanted = packs
    for depot_id, depot_free in sorted(free.items(), key=lambda kv: (-kv[1], kv[0])):
        take = min(depot_free, wanted)
        if take <= 0:
            break
        rows.reservations.append(
            {
                "reference": reference,
                "depot_id": depot_id,
                "article_id": article_id,
                "packs": take,
                "status": ReservationStatus.ACTIVE,
            }
        )
        rows.movements.append(
            {
                "kind": MovementKind.RESERVATION,
                "depot_id": depot_id,
                "article_id": article_id,
                "lot_id": None,
                "packs": take,
                "reference": reference,
                "reason_code": None,
                "user_id": user_id,
            }
        )
        free[depot_id] -= take
        wanted -= take


def lock_article(article_id: int) -> None:
    """Serialise reservations of one article until the transaction ends.

    Taken before any lot of the article is changed by whatever may fill its
    backorders (a count, a block lifted, packs put back or restocked, a
    device reconditioned): an order takes the article's lock, then its lots';
    a lot locked first and the article's after deadlocks with it."""
    lock_articles([article_id])


def lock_lot(lot_id: int) -> StockLot | None:
    """The lot, row-locked after its article's lock (`lock_article`); None
    when there is no such lot."""
    article_id = db.session.scalar(
        sa.select(StockLot.article_id).where(StockLot.id == lot_id)
    )
    if article_id is None:
        return None
    lock_article(article_id)
    return db.session.scalar(
        sa.select(StockLot).where(StockLot.id == lot_id).with_for_update()
    )


def lock_articles(article_ids: Iterable[int]) -> None:
    """`lock_article` for each article, in id order: a use case that changes
    the stock of several articles (an order, a pick, a cancellation) takes
    them all at once, so two such never wait for each other crosswise.
    Taken again later in the same transaction, a lock is already held.

    PostgreSQL, in one statement: the article's own lock (a transaction
    advisory lock, in its own key space), then a row lock on each of its lots
    with packs. The first serialises whatever takes `lock_article` (orders,
    picks, receipts, counts, blocks lifted, packs put back, backorders
    filled), also when no lot has packs; the second what changes a lot with
    packs without it (the expiry run's quarantine). A lot without packs holds
    nothing to reserve, and lots are never deleted: locking each lot the
    article ever had made every order's lock grow with the stock's history
    (2 articles of 11,000 lots each, 100 with packs: 15.5-16.0 ms, now
    0.67-0.69 ms; bench/stock_locks.py). Packs put into an empty lot
    meanwhile are seen by the order or serve it afterwards: every way in
    takes the article's lock before it (a receipt) or after it (the
    backorders it fills), and waits for the order's.
    """
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_LOCK_LOTS, {"article_ids": article_ids})
    else:
        # SQLite has no row locks; any write takes its single write lock (even
        # when no row matches) and holds it to commit, so readers after it here
        # see the latest state and no other writer can slip in between.
        db.session.execute(_TOUCH_LOTS, {"lots_of": article_ids})


def _signed_32(key: int) -> int:
    return key - 2**32 if key >= 2**31 else key


# The class of the articles' advisory locks (the two-key form: apart from the
# one-key locks of jobs and usernames).
STOCK_ARTICLE_LOCK = _signed_32(zlib.crc32(b"sesamlike:stock-article"))
# Lots with packs, as their partial index says it (models.STOCKED_LOT_ROWS,
# `common.sql.written_out`): an article's lock and free stock read those, not
# every lot the article ever had.
_STOCKED = StockLot.on_hand > written_out(0)

# Every reservation sends these: built once, each fills in its values.
_ARTICLE_IDS = sa.bindparam("article_ids", type_=ARRAY(sa.Integer))
_ARTICLES = (
    sa.func.unnest(_ARTICLE_IDS)
    .table_valued("article_id")
    .render_derived(name="locked")
)
# The articles' advisory locks, in the order given (sorted by `lock_articles`),
# counted. As a condition of no row, PostgreSQL computes it once, before the
# lots are read and locked (a one-time filter; tests/integration/
# test_stock_article_lock.py checks the plan): one statement for both locks.
_ARTICLES_LOCKED = (
    sa.select(
        sa.func.count(
            sa.func.pg_advisory_xact_lock(
                sa.literal(STOCK_ARTICLE_LOCK, sa.Integer), _ARTICLES.c.article_id
            )
        )
    ).scalar_subquery()
    >= 0
)
_LOCK_LOTS = (
    sa.select(StockLot.id)
    .where(
        _ARTICLES_LOCKED,
        StockLot.article_id == sa.any_(_ARTICLE_IDS),
        _STOCKED,
    )
    .order_by(StockLot.article_id, StockLot.id)  # rows are locked in this order
    .with_for_update()
)
_TOUCH_LOTS = (
    sa.update(StockLot)
    .where(StockLot.article_id.in_(sa.bindparam("lots_of", expanding=True)), _STOCKED)
    .values(on_hand=StockLot.on_hand)
    .execution_options(synchronize_session=False)
)


# Usable packs on hand (+) and active reservations (-) per article and depot.
_ARTICLE_LIST = sa.bindparam("article_ids", expanding=True)
_FREE_LOTS = (
    sa.select(StockLot.article_id, StockLot.depot_id, sa.func.sum(StockLot.on_hand))
    .where(
        StockLot.article_id.in_(_ARTICLE_LIST),
        _STOCKED,
        StockLot.quarantined.is_(False),
        sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= sa.bindparam("today")),
    )
    .group_by(StockLot.article_id, StockLot.depot_id)
)
_FREE_HELD = (
    sa.select(
        Reservation.article_id, Reservation.depot_id, -sa.func.sum(Reservation.packs)
    )
    .where(Reservation.article_id.in_(_ARTICLE_LIST), _ACTIVE)
    .group_by(Reservation.article_id, Reservation.depot_id)
)
_FREE = sa.union_all(_FREE_LOTS, _FREE_HELD)


def _packs_by_depot(model, status, sign: int) -> sa.Select:
    """The packs of `model`'s rows in `status` per article and depot, times
    `sign`: backordered reservations wait for them (-), ordered proposals
    bring them (+)."""
    return (
        sa.select(model.article_id, model.depot_id, sign * sa.func.sum(model.packs))
        .where(model.article_id.in_(_ARTICLE_LIST), model.status == written_out(status))
        .group_by(model.article_id, model.depot_id)
    )


# What a reservation weighs against the articles' reorder points, beside their
# free stock (`_FREE`), in the same statement (`_free_and_weighed`): the
# packs backorders wait for (-), those ordered from the supplier (+), and each
# reorder point's level. Each from its article's index, mostly no row: an
# order pays no statement more to know whether it took an article low.
_FREE_STOCK, _BEYOND_FREE, _REORDER_LEVEL = 0, 1, 2
_FREE_AND_WEIGHED = sa.union_all(
    *(
        part.add_columns(sa.literal_column(str(kind)))
        for part, kind in (
            (_FREE_LOTS, _FREE_STOCK),
            (_FREE_HELD, _FREE_STOCK),
            (
                _packs_by_depot(Reservation, ReservationStatus.BACKORDERED, -1),
                _BEYOND_FREE,
            ),
            (
                _packs_by_depot(PurchaseProposal, ProposalStatus.ORDERED, 1),
                _BEYOND_FREE,
            ),
            (
                sa.select(
                    ReorderPoint.article_id,
                    ReorderPoint.depot_id,
                    ReorderPoint.reorder_level,
                ).where(ReorderPoint.article_id.in_(_ARTICLE_LIST)),
                _REORDER_LEVEL,
            ),
        )
    )
)


class _Weighed(NamedTuple):
    """Per article and depot: backordered and ordered packs, reorder levels."""

    beyond: dict[int, dict[int, int]]
    levels: dict[int, dict[int, int]]


def _free_and_weighed(
    article_ids: list[int], today: date
) -> tuple[dict[int, dict[int, int]], _Weighed]:
    """`_free_by_article`, and what `_taken_low` weighs it with, in one
    statement."""
    free: dict[int, dict[int, int]] = {}
    weighed = _Weighed({}, {})
    rows = db.session.execute(
        _FREE_AND_WEIGHED, {"article_ids": article_ids, "today": today}
    )
    for article_id, depot_id, packs, kind in rows:
        into = (free, weighed.beyond, weighed.levels)[kind]
        depots = into.setdefault(article_id, {})
        depots[depot_id] = depots.get(depot_id, 0) + int(packs or 0)
    return free, weighed


def _taken_low(
    free: dict[int, dict[int, int]], weighed: _Weighed, rows: _Rows
) -> tuple[int, ...]:
    """The articles whose stock position (free - backordered + ordered, as
    `replenishment.stock_positions` counts it) is, with the planned rows, at
    or below its reorder point in a depot, or below 0 in a depot without
    one (backorders nothing is bought for): those the daily check would
    propose a purchase of."""
    waiting: dict[tuple[int, int], int] = {}
    for row in rows.reservations:
        if row["status"] == ReservationStatus.BACKORDERED:
            key = (row["article_id"], row["depot_id"])
            waiting[key] = waiting.get(key, 0) + row["packs"]
    low = []
    for article_id in sorted(free.keys() | {a for a, _d in waiting}):
        levels = weighed.levels.get(article_id, {})
        beyond = weighed.beyond.get(article_id, {})
        left = free.get(article_id, {})
        depots = left.keys() | beyond.keys() | levels.keys()
        depots |= {d for a, d in waiting if a == article_id}
        for depot_id in depots:
            position = (
                left.get(depot_id, 0)
                + beyond.get(depot_id, 0)
                - waiting.get((article_id, depot_id), 0)
            )
            # Without a point, the daily check buys what backorders wait for.
            if position <= levels.get(depot_id, -1):
                low.append(article_id)
                break
    return tuple(low)


def _free_by_article(article_ids: list[int], today: date) -> dict[int, dict[int, int]]:
    """`_free_by_depot` of each article, in one statement."""
    free: dict[int, dict[int, int]] = {}
    rows = db.session.execute(_FREE, {"article_ids": article_ids, "today": today})
    for article_id, depot_id, packs in rows:
        depots = free.setdefault(article_id, {})
        depots[depot_id] = depots.get(depot_id, 0) + int(packs or 0)
    return free


def available_by_article(
    article_ids: Sequence[int], *, today: date | None = None
) -> dict[int, int]:
    """`available` of each article over all depots, in one statement."""
    free = _free_by_article(list(article_ids), today or region_today())
    return {
        article_id: sum(max(packs, 0) for packs in free.get(article_id, {}).values())
        for article_id in article_ids
    }


def _free_by_depot(article_id: int, today: date) -> dict[int, int]:
    """{depot_id: usable on hand - active reservations} for every depot involved."""
    return _free_by_article([article_id], today).get(article_id, {})


def usual_depot(article_id: int) -> int:
    """The depot that usually stocks the article (holds most of it, any lot),
    else the first depot: where its backorders wait and packs of unknown lot
    are put back."""
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
