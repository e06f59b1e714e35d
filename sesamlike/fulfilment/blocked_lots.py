"""Blocked lots on the depot's pages: release a block (audited, with its
reason; the packs may fill backorders) or scrap the packs (`stock.blocks`)."""

from __future__ import annotations

from typing import NamedTuple

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.fulfilment.shipping import (
    commit_use_case,
    fill_backorders,
    require_depot,
)
from sesamlike.stock import blocks
from sesamlike.stock.models import StockLot


class Released(NamedTuple):
    lot: StockLot
    filled: list[str]  # backorders the lot's packs filled


def release_block(user: User, lot_id: int, reason: str | None) -> Released:
    """Lift a lot's block; its packs fill backorders, first placed first."""
    require_depot(user)

    def run():
        lot = blocks.release_block(lot_id, reason, user_id=user.id)
        audit.record(
            "release_block",
            "stock_lot",
            patient_id=None,
            object_id=lot.id,
            user=user,
            detail=f"{lot.article.article_no} {lot.lot}: {' '.join(reason.split())}",
        )
        return Released(lot, fill_backorders(lot.article_id, user))

    return commit_use_case(run)


def scrap_lot(user: User, lot_id: int) -> int:
    """Scrap what is left of an expired or blocked lot; return the packs."""
    require_depot(user)
    return commit_use_case(lambda: blocks.scrap_lot(lot_id, user_id=user.id))[1]
