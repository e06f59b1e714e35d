"""Lines cancelled after their packs were picked: the packs wait at the packing
table until the clerk puts them back in their lots (`stock.shelving`); the
packing list and the order's pack page say so until then."""

from __future__ import annotations

from typing import NamedTuple

from sesamlike.accounts.models import User
from sesamlike.common.errors import NotVisible
from sesamlike.extensions import db
from sesamlike.fulfilment.errors import NothingToPutBack
from sesamlike.fulfilment.shipping import commit_use_case, lines_for, require_depot
from sesamlike.orders.models import LineStatus, OrderLine
from sesamlike.stock import shelving
from sesamlike.stock.models import StockLot


class PutBack(NamedTuple):
    line: OrderLine
    lot: StockLot
    packs: int


def waiting(
    *, depot_id: int | None = None, lines: list[OrderLine] | None = None
) -> list[PutBack]:
    """Packs of cancelled lines to put back (in one depot, or of these lines)."""
    rows = shelving.to_shelve(
        depot_id=depot_id,
        references=None if lines is None else [line.reference for line in lines],
    )
    by_reference = lines_for(row.reference for row in rows)
    return [
        PutBack(line, row.lot, row.packs)
        for row in rows
        if (line := by_reference.get(row.reference)) is not None
        and line.status == LineStatus.CANCELLED
    ]


def put_back_done(user: User, line_id: int) -> OrderLine:
    """The clerk has put a cancelled line's picked packs back on the shelf."""
    require_depot(user)

    def run():
        line = db.session.get(OrderLine, line_id)
        if line is None:
            raise NotVisible()
        if line.status != LineStatus.CANCELLED or not shelving.shelve(
            line.reference, user_id=user.id
        ):
            raise NothingToPutBack(order_id=line.order_id)
        return line

    return commit_use_case(run)
