"""Picking (plock) first expiry first out, shipping, returns and cycle counts.

- `pick_list` shows, per depot, each active reservation with the lots to take
  it from: earliest expiry first (no expiry last), lot and bin. Lots past expiry
  and quarantined lots are never offered, so they are never picked.
- `pick` books the packs out of those lots (`pick` movements carry the lot and
  the reference) and marks the reservation `picked`; serial-tracked articles are
  picked by serial number from the devices' own lots.
- `ship` marks picked reservations `shipped` with a `ship` movement (no lot).
- `return_packs` books unused packs of a reference back into the lots they were
  picked from (never-picked packs into the article's lot of unknown origin).
  `count_lot` books a cycle count's difference as an adjustment.
Nothing commits here: the caller's use case does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog.models import Article
from sesamlike.common.errors import Invalid
from sesamlike.common.formatting import ReadersNumber
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import devices as device_steps
from sesamlike.stock import errors, ledger, replenishment
from sesamlike.stock.ledger import COUNT_REASONS
from sesamlike.stock.models import (
    Device,
    MovementKind,
    Reservation,
    StockLot,
    StockMovement,
)
from sesamlike.stock.receipts import lot_for_restock
from sesamlike.stock.reservations import (
    ReservationStatus,
    lock_article,
    lock_lot,
    usual_depot,
)


class PickRow(NamedTuple):
    reference: str
    article: Article
    lot: StockLot | None  # None: the usable lots no longer cover it
    packs: int


def usable(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        StockLot.quarantined.is_(False),
        sa.or_(StockLot.expiry.is_(None), StockLot.expiry >= today),
    )


def fefo(query: sa.Select) -> sa.Select:
    """Earliest expiry first; lots without expiry last; then oldest lot."""
    return query.order_by(StockLot.expiry.is_(None), StockLot.expiry, StockLot.id)


def active_reservations(depot_id: int) -> list[Reservation]:
    """The depot's reservations to pick, in the order they were made."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.depot_id == depot_id,
                Reservation.status == ReservationStatus.ACTIVE,
            )
            .order_by(Reservation.created_at, Reservation.id)
        )
    )


def pick_list(
    depot_id: int,
    today: date | None = None,
    held: Sequence[Reservation] | None = None,
) -> list[PickRow]:
    """What to pick in the depot, reservation by reservation, lot by lot
    (FEFO): the depot's active reservations, or `held` (some of them, in the
    order to pick them: the first is given the first lots to expire)."""
    today = today or region_today()
    held = active_reservations(depot_id) if held is None else held
    article_ids = {row.article_id for row in held}
    lots = db.session.scalars(
        fefo(
            sa.select(StockLot)
            .options(selectinload(StockLot.article))
            .where(
                StockLot.depot_id == depot_id,
                StockLot.article_id.in_(article_ids),
                StockLot.on_hand > 0,
                usable(today),
            )
        )
    ).all()
    left = {lot.id: lot.on_hand for lot in lots}
    by_article: dict[int, list[StockLot]] = defaultdict(list)
    for lot in lots:
        by_article[lot.article_id].append(lot)
    articles = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Article).where(Article.id.in_(article_ids))
        )
    }
    rows: list[PickRow] = []
    for reservation in held:
        article = articles[reservation.article_id]
        for lot, packs in _allocate(by_article[article.id], left, reservation.packs):
            rows.append(PickRow(reservation.reference, article, lot, packs))
    return rows


def pick(
    reference: str,
    *,
    serials: Sequence[str] = (),
    user_id: int | None = None,
    today: date | None = None,
) -> list[Device]:
    """Book the reference's active reservations out of stock; return devices taken."""
    today = today or region_today()
    taken: list[Device] = []
    wanted_serials = list(serials)
    for reservation in _rows(reference, ReservationStatus.ACTIVE):
        lock_article(reservation.article_id)
        article = db.session.get(Article, reservation.article_id)
        if article.serial_tracked:
            devices = _devices_for(article, reservation, wanted_serials)
            by_lot: dict[int | None, int] = defaultdict(int)
            for device in devices:
                by_lot[device.lot_id] += 1
            portions = [
                (_device_lot(reservation, lot_id), n) for lot_id, n in by_lot.items()
            ]
            taken.extend(devices)
        else:
            lots = db.session.scalars(
                fefo(
                    sa.select(StockLot).where(
                        StockLot.depot_id == reservation.depot_id,
                        StockLot.article_id == article.id,
                        StockLot.on_hand > 0,
                        usable(today),
                    )
                )
            ).all()
            left = {lot.id: lot.on_hand for lot in lots}
            portions = _allocate(lots, left, reservation.packs)
            if any(lot is None for lot, _ in portions):
                raise errors.InsufficientStock(article=article.name)
        for lot, packs in portions:
            ledger.book(
                MovementKind.PICK, lot, -packs, reference=reference, user_id=user_id
            )
        _set_status(reservation, ReservationStatus.ACTIVE, ReservationStatus.PICKED)
    if wanted_serials:
        raise Invalid(fields={"serials": [N_("Fler serienummer än förpackningar.")]})
    return taken


def ship(reference: str, *, user_id: int | None = None) -> int:
    """Mark the reference's picked packs shipped; return how many."""
    shipped = 0
    for reservation in _rows(reference, ReservationStatus.PICKED):
        _set_status(reservation, ReservationStatus.PICKED, ReservationStatus.SHIPPED)
        db.session.add(
            StockMovement(
                kind=MovementKind.SHIP,
                depot_id=reservation.depot_id,
                article_id=reservation.article_id,
                packs=-reservation.packs,
                reference=reference,
                user_id=user_id,
            )
        )
        shipped += reservation.packs
    return shipped


def return_packs(
    reference: str,
    article_id: int,
    packs: int,
    *,
    user_id: int | None = None,
    lot_code: str | None = None,
    expiry: date | None = None,
) -> int:
    """Book `packs` unused packs of the reference back on stock; return them.

    Into the lots they were picked from. Packs never picked here (history
    imported from the old system) go into the lot printed on the pack when
    the clerk gives it (`lot_code`, `expiry`), so they are picked in expiry
    order and a recall finds them; else into the lot UNKNOWN_LOT of the
    article, never mixed into a real lot, which a recall would name (or
    miss). Either in the depot that stocks the article most. Packs are never
    recorded as restocked without a booking.
    """
    today = region_today()
    lock_article(article_id)  # before the lots: the packs may fill backorders
    for lot in ledger.lots_picked_for(reference):
        if lot.quarantined or (lot.expiry is not None and lot.expiry < today):
            raise errors.LotNotRestockable(
                lot=lot.lot, fields={"restock": [N_("Välj Kasseras.")]}
            )
    back = ledger.put_back(reference, packs=packs, user_id=user_id)
    rest = packs - back
    if rest > 0:
        depot_id = usual_depot(article_id)
        if (lot_code or "").strip() or expiry is not None:
            lot = lot_for_restock(depot_id, article_id, lot_code, expiry, today)
        else:
            lot = ledger.get_or_create_lot(depot_id, article_id, ledger.UNKNOWN_LOT)
        ledger.book(
            MovementKind.RETURN, lot, rest, reference=reference, user_id=user_id
        )
    return packs


def unpicked(references: Iterable[str]) -> set[str]:
    """Of these references, those with no packs picked from a lot of ours
    (history imported from the old system): their packs' lot is not known."""
    wanted = list(dict.fromkeys(references))
    if not wanted:
        return set()
    picked = db.session.scalars(
        sa.select(StockMovement.reference)
        .where(StockMovement.reference.in_(wanted),
               StockMovement.kind == MovementKind.PICK)
        .distinct()
    )  # fmt: skip
    return set(wanted) - set(picked)


# A count far from the books, above or below them, is confirmed before it is
# booked (`confirmed`; the page asks): a digit dropped (238 counted as 23) or
# added (39 as 390) would move stock and purchase proposals. Far is this many
# packs or more, or at least half the books and SMALL_COUNT_DIFFERENCE packs.
LARGE_COUNT_DIFFERENCE = 100
SMALL_COUNT_DIFFERENCE = 10
COUNT_FAR_OFF = N_("Långt från saldot: kontrollera och bekräfta.")


def count_far_off(on_hand: int, counted: int) -> bool:
    """Whether a count is so far from the books that it must be confirmed."""
    difference = abs(counted - on_hand)
    return difference >= LARGE_COUNT_DIFFERENCE or (
        difference >= SMALL_COUNT_DIFFERENCE and 2 * difference >= on_hand
    )


def countable_lots(depot_id: int | None = None) -> list[StockLot]:
    """The lots a cycle count offers (of one depot, or all): of articles
    counted as packs, not serial numbers (devices and the quarantine are
    counted by serial)."""
    where = [StockLot.lot != ledger.QUARANTINE_LOT, Article.serial_tracked.is_(False)]
    if depot_id is not None:
        where.append(StockLot.depot_id == depot_id)
    return list(
        db.session.scalars(
            sa.select(StockLot)
            .join(StockLot.article)
            .options(selectinload(StockLot.article), selectinload(StockLot.depot))
            .where(*where)
            .order_by(StockLot.depot_id, StockLot.article_id, StockLot.expiry)
        )
    )


def count_lot(
    lot_id: int,
    counted: int,
    reason_code: str | None,
    *,
    user_id: int | None = None,
    confirmed: bool = True,
) -> tuple[StockLot, int]:
    """Book a cycle count: the difference from the books, with a reason code.
    A difference far from the books waits for `confirmed` (the page's box).
    A serial-tracked article is counted by its serials, never here."""
    lot = lock_lot(lot_id)  # a surplus may fill backorders
    if lot is None:
        raise errors.LotNotFound()
    if not isinstance(counted, int) or counted < 0:
        raise Invalid(fields={"counted": ["Ange ett antal från 0."]})
    if lot.lot == ledger.QUARANTINE_LOT:
        raise errors.QuarantineCountedBySerial()
    if lot.article.serial_tracked:
        raise errors.CountedBySerial(article=lot.article.name)
    difference = counted - lot.on_hand
    if difference and reason_code not in COUNT_REASONS:
        raise errors.ReasonCodeRequired(fields={"reason_code": [N_("Välj en orsak.")]})
    if not confirmed and count_far_off(lot.on_hand, counted):
        raise errors.CountToConfirm(
            counted=ReadersNumber(counted),
            on_hand=ReadersNumber(lot.on_hand),
            fields={"counted": [COUNT_FAR_OFF]},
        )
    if difference:
        ledger.book(
            MovementKind.ADJUSTMENT,
            lot,
            difference,
            reason_code=reason_code,
            reference=f"count:{lot.id}",
            user_id=user_id,
        )
    if difference < 0:
        # Fewer packs than the books: a purchase due is proposed now, under
        # the article's lock taken above (`lock_lot`), not at night.
        replenishment.recheck_lowered([lot.article_id], region_today())
    return lot, difference


def _allocate(lots, left: dict[int, int], packs: int):
    """[(lot, packs)] taken from the lots in order; (None, rest) when they run out."""
    portions = []
    for lot in lots:
        if packs <= 0:
            break
        take = min(left[lot.id], packs)
        if take > 0:
            portions.append((lot, take))
            left[lot.id] -= take
            packs -= take
    if packs > 0:
        portions.append((None, packs))
    return portions


def _rows(reference: str, status: str) -> list[Reservation]:
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(Reservation.reference == reference, Reservation.status == status)
            .order_by(Reservation.id)
            .with_for_update()
        )
    )


def _set_status(reservation: Reservation, old: str, new: str) -> None:
    """Compare-and-set, so a concurrent pick, ship or release wins once."""
    changed = db.session.execute(
        sa.update(Reservation)
        .where(Reservation.id == reservation.id, Reservation.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(reservation, ["status"])
    if changed != 1:
        raise errors.ReservationChanged()


def _devices_for(article, reservation, serials: list[str]) -> list[Device]:
    if len(serials) < reservation.packs:
        raise errors.SerialsRequired(
            article=article.name,
            packs=reservation.packs,
            fields={"serials": [N_("Ett serienummer per förpackning.")]},
        )
    mine = [serials.pop(0) for _ in range(reservation.packs)]
    return device_steps.take_serials(article, reservation.depot_id, mine)


def _device_lot(reservation: Reservation, lot_id: int | None) -> StockLot:
    lot = db.session.get(StockLot, lot_id) if lot_id else None
    if lot is None or lot.on_hand <= 0 or lot.quarantined:
        # Devices registered outside a receipt: take from the article's usable lot.
        lot = db.session.scalar(
            sa.select(StockLot)
            .where(
                StockLot.depot_id == reservation.depot_id,
                StockLot.article_id == reservation.article_id,
                StockLot.quarantined.is_(False),
                StockLot.on_hand > 0,
            )
            .order_by(StockLot.id)
            .limit(1)
        )
    if lot is None:
        article = db.session.get(Article, reservation.article_id)
        raise errors.InsufficientStock(article=article.name)
    return lot
