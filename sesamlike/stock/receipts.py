"""Receipts (inleverans): packs into a depot's lot, serials as devices, backorders.

A receipt books packs into the (depot, article, lot) row, registers one device
per serial number for a serial-tracked article, and then fills the article's
backorders in order of placement. It returns the references it filled; stock
knows nothing of what they mean (orders flips its lines). Nothing commits here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.common.errors import Invalid
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import errors, ledger, reservations
from sesamlike.stock.gs1 import gtin_forms
from sesamlike.stock.models import (
    SERIAL_MAX,
    Depot,
    Device,
    DeviceStatus,
    MovementKind,
    StockLot,
)

LOT_MAX = 40
BIN_MAX = 20
MAX_PACKS = 100_000


class Receipt(NamedTuple):
    lot: StockLot
    packs: int
    devices: list[Device]
    filled: list[str]  # references whose backorders this receipt reserved


def receive(
    depot_code: str,
    article_no: str,
    packs: int,
    *,
    lot: str | None = None,
    expiry: date | None = None,
    serials: Sequence[str] = (),
    bin: str | None = None,
    user_id: int | None = None,
    today: date | None = None,
    traced: bool = False,
) -> Receipt:
    """Book received packs (and devices), then fill backorders first placed first.

    `traced` (the page): a consumable names its lot and nothing expired comes
    in. The API takes what the contract lets it (lot and expiry optional): a
    migration loads old stock, expired lots too, to be scrapped here. On the
    page a consumable whose lots carry expiries comes in with one (given, or
    the books' for its lot): a lot without one never expires and is picked
    last (`_expiry_kept`)."""
    depot = depot_by_code(depot_code)
    article = article_by_no(article_no)
    lot_code, bin_code, serials = _clean(lot, bin, serials, packs)
    if traced:
        _check_lot_and_expiry(article, lot_code, expiry, today or region_today())
    _check_serials(article, packs, serials)
    reservations.lock_article(article.id)
    row = ledger.get_or_create_lot(
        depot.id, article.id, lot_code, expiry=expiry, bin=bin_code
    )
    _as_the_books_have_it(row, expiry)
    if traced and not article.serial_tracked:
        _expiry_kept(row)
    if bin_code and not row.bin:
        row.bin = bin_code
    ledger.book(MovementKind.RECEIPT, row, packs, user_id=user_id)
    devices = [_register_device(article, depot, row, serial) for serial in serials]
    filled = reservations.fill_backorders(article.id, user_id=user_id, today=today)
    return Receipt(row, packs, devices, filled)


def lot_for_restock(
    depot_id: int, article_id: int, lot: str, expiry: date | None, today: date
) -> StockLot:
    """The lot printed on packs that come back (`picking.return_packs`), held to
    a receipt's rules: a name of its own, never blocked or past expiry, the
    expiry the books have for it (or, for a lot new to the books, one when
    the article's lots carry expiries), so the packs are picked in expiry
    order and a recall finds them."""
    code = (lot or "").strip()
    if len(code) > LOT_MAX:
        raise Invalid(fields={"lot": [N_("Högst 40 tecken.")]})
    if code in (ledger.QUARANTINE_LOT, ledger.UNKNOWN_LOT):
        raise Invalid(fields={"lot": [N_("Skriv partiet som står på förpackningen.")]})
    # Made before it is judged, as a receipt's: a refusal rolls the use case back.
    row = ledger.get_or_create_lot(depot_id, article_id, code, expiry=expiry)
    _as_the_books_have_it(row, expiry)
    _expiry_kept(row)
    if row.expiry is not None and row.expiry < today:
        raise Invalid(
            fields={"expiry": [N_("Utgångsdatumet har passerats: välj Kasseras.")]}
        )
    return row


def _as_the_books_have_it(row: StockLot, expiry: date | None) -> None:
    """Packs booked into a lot: never a blocked one, never with another expiry
    than the books have for it; a lot without one takes the given expiry."""
    if row.quarantined:
        raise errors.LotBlocked(lot=row.lot)
    if expiry is not None and row.expiry not in (None, expiry):
        raise errors.LotExpiryMismatch(
            lot=row.lot,
            expiry=row.expiry,
            fields={"expiry": [N_("Stämmer inte med partiets utgångsdatum.")]},
        )
    if row.expiry is None and expiry is not None:
        row.expiry = expiry


def _expiry_kept(row: StockLot) -> None:
    """Packs booked into a lot with no expiry, of an article whose lots carry
    expiries: refused, so each lot is picked in expiry order and expires."""
    if row.expiry is None and _expiries_kept(row.article_id):
        raise Invalid(
            fields={"expiry": [N_("Ange utgångsdatumet som står på förpackningen.")]}
        )


def _expiries_kept(article_id: int) -> bool:
    """Whether the article's lots carry expiry dates (battery caps' do not)."""
    return (
        db.session.scalar(
            sa.select(StockLot.id)
            .where(StockLot.article_id == article_id, StockLot.expiry.is_not(None))
            .limit(1)
        )
        is not None
    )


def depot_by_code(code: str) -> Depot:
    depot = db.session.scalar(
        sa.select(Depot).where(Depot.code == (code or "").strip())
    )
    if depot is None:
        raise errors.UnknownDepot(
            depot_code=code, fields={"depot_code": [N_("Okänt lager.")]}
        )
    return depot


def article_by_no(article_no: str) -> Article:
    article = db.session.scalar(
        sa.select(Article).where(Article.article_no == (article_no or "").strip())
    )
    if article is None:
        raise errors.UnknownArticle(
            article_no=article_no, fields={"article_no": [N_("Okänd artikel.")]}
        )
    return article


def article_by_gtin(gtin: str) -> Article | None:
    """The article whose GTIN (any length) is this GTIN-14, if the catalogue has it."""
    return db.session.scalar(
        sa.select(Article)
        .where(Article.gtin.in_(gtin_forms(gtin)))
        .order_by(Article.id)
        .limit(1)
    )


def _clean(lot, bin_code, serials, packs):
    lot_code = (lot or "").strip()
    bin_code = (bin_code or "").strip() or None
    cleaned = [str(s).strip() for s in serials if str(s).strip()]
    problems: dict[str, list[str]] = {}
    if (
        not isinstance(packs, int)
        or isinstance(packs, bool)
        or not (0 < packs <= MAX_PACKS)
    ):
        problems["packs"] = [N_("Ange ett antal förpackningar från 1.")]
    if len(lot_code) > LOT_MAX:
        problems["lot"] = [N_("Högst 40 tecken.")]
    if lot_code == ledger.QUARANTINE_LOT:
        problems["lot"] = [N_("Reserverat namn för karantän.")]
    if bin_code and len(bin_code) > BIN_MAX:
        problems["bin"] = ["Högst 20 tecken."]
    if any(len(s) > SERIAL_MAX for s in cleaned):
        problems["serials"] = [N_("Högst 60 tecken per serienummer.")]
    elif len(set(cleaned)) != len(cleaned):
        problems["serials"] = [N_("Samma serienummer finns flera gånger.")]
    if problems:
        raise Invalid(fields=problems)
    return lot_code, bin_code, cleaned


def _check_lot_and_expiry(
    article: Article, lot_code: str, expiry: date | None, today: date
) -> None:
    """A consumable is traced by its lot (a recall names lots); nothing already
    expired comes in. Some consumables (battery caps) carry no expiry, so only
    the lot is required; a serial-tracked device is traced by its serial."""
    problems: dict[str, list[str]] = {}
    if not article.serial_tracked and not lot_code:
        problems["lot"] = [
            N_("Ange batch/parti: förbrukningsartiklar spåras per parti.")
        ]
    if expiry is not None and expiry < today:
        problems["expiry"] = [N_("Utgångsdatumet har redan passerats.")]
    if problems:
        raise Invalid(fields=problems)


def _check_serials(article: Article, packs: int, serials: list[str]) -> None:
    if article.serial_tracked and len(serials) != packs:
        raise errors.SerialsRequired(
            article=article.name,
            packs=packs,
            fields={"serials": [N_("Ett serienummer per förpackning.")]},
        )
    if not article.serial_tracked and serials:
        raise errors.SerialsNotAllowed(
            article=article.name, fields={"serials": [N_("Inte individmärkt.")]}
        )


def _register_device(article, depot, lot, serial_no: str) -> Device:
    if db.session.scalar(
        sa.select(Device.id).where(
            Device.article_id == article.id, Device.serial_no == serial_no
        )
    ):
        raise errors.DuplicateSerial(
            serial_no=serial_no,
            article=article.name,
            fields={"serials": [N_("Serienumret finns redan.")]},
        )
    device = Device(
        article_id=article.id,
        serial_no=serial_no,
        status=DeviceStatus.IN_STOCK,
        depot_id=depot.id,
        lot_id=lot.id,
    )
    db.session.add(device)
    return device
