"""Blocked lots (spärrade partier): a recall, or a lot the nightly check found
expired. Their packs are never reserved or picked until a clerk either
releases the block (a recall called off: with a reason, which the use case
audits) or scraps the packs. Scrapping is a `scrap` movement: the packs were
paid for, and the ledger keeps them; nothing is deleted.

An expired lot stays blocked: it can only be scrapped. The quarantine of
returned devices is no lot to release: each device is reconditioned or
scrapped by its serial number.
"""

from __future__ import annotations

from datetime import date

from sesamlike.common.errors import Invalid
from sesamlike.common.formatting import ReadersDate
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import errors, ledger, reservations
from sesamlike.stock.models import MovementKind, StockLot, StockMovement

RELEASE_KIND = "unblock"  # a ledger row of 0 packs, as expiry's "quarantine"
REASON_MIN = 10
REASON_MAX = 200
REASON_TOO_SHORT = N_("Skriv skälet med minst 10 tecken, t.ex. leverantörens besked.")


def release_block(
    lot_id: int, reason: str | None, *, user_id: int | None, today: date | None = None
) -> StockLot:
    """Lift the block of a lot that has not expired; its packs may be picked again."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(fields={"reason": [N_("Ange varför spärren hävs.")]})
    if len(reason) < REASON_MIN:
        raise Invalid(fields={"reason": [REASON_TOO_SHORT]})
    if len(reason) > REASON_MAX:
        raise Invalid(fields={"reason": [N_("Högst 200 tecken.")]})
    lot = _locked(lot_id)
    if lot.lot == ledger.QUARANTINE_LOT:
        raise errors.QuarantineBySerial()
    if not lot.quarantined:
        raise errors.LotNotBlocked(lot=lot.lot or "–")
    if lot.expiry is not None and lot.expiry < (today or region_today()):
        raise errors.ExpiredLotStaysBlocked(
            lot=lot.lot or "–", expiry=ReadersDate.of(lot.expiry)
        )
    lot.quarantined = False
    db.session.add(
        StockMovement(
            kind=RELEASE_KIND,
            depot_id=lot.depot_id,
            article_id=lot.article_id,
            lot_id=lot.id,
            packs=0,
            reason_code="released",
            user_id=user_id,
        )
    )
    return lot


def scrap_lot(
    lot_id: int, *, user_id: int | None = None, today: date | None = None
) -> tuple[StockLot, int]:
    """Scrap (kassera) what is left of a lot past expiry or blocked; return the
    lot and its packs scrapped."""
    lot = _locked(lot_id)
    expired = lot.expiry is not None and lot.expiry < (today or region_today())
    if lot.lot == ledger.QUARANTINE_LOT:
        raise errors.QuarantineBySerial()
    if not expired and not lot.quarantined:
        raise errors.LotNotExpired()
    packs = lot.on_hand
    if packs > 0:
        ledger.book(
            MovementKind.SCRAP, lot, -packs,
            reason_code="expired" if expired else "blocked", user_id=user_id,
        )  # fmt: skip
    return lot, packs


def _locked(lot_id: int) -> StockLot:
    lot = reservations.lock_lot(lot_id)  # its packs may fill backorders
    if lot is None:
        raise errors.LotNotFound()
    return lot
