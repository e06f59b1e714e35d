"""The aids centre's pick list a page at a time: the depot's active
reservations grouped by order, oldest first, as the packing list pages.

The lots each reservation is to be taken from are allocated over the whole
list (first expiry first out, `stock.picking.pick_list`), so a page shows the
lots an earlier page's orders leave, not lots they take first. Only the page's
order lines are loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sesamlike.common.paging import Page, page_count
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders.models import Order, OrderLine, line_reference
from sesamlike.stock import picking
from sesamlike.stock.picking import PickRow

ORDERS_PAGE = 50


@dataclass(frozen=True)
class PickGroup:
    """One order's rows to pick (order_id None: reservations of no order)."""

    order_id: int | None
    rows: list[tuple[PickRow, OrderLine | None]]


def pick_page(depot_id: int, page: int = 1, per_page: int | None = None) -> Page:
    """The page of the depot's pick list: `PickGroup`s, the oldest order
    first (a reservation of no order by when it was made). A page past the
    last (a number typed, or orders picked meanwhile) is the last."""
    per_page = per_page or ORDERS_PAGE
    held = picking.active_reservations(depot_id)
    orders = _orders(r.reference for r in held)

    def oldest_first(reservation) -> tuple:
        # A backorder is reserved when the stock comes in, days after its
        # order was placed: by the order's placing, it is not put last.
        order_id, placed_at = orders.get(reservation.reference, (None, None))
        return (placed_at or reservation.created_at, order_id or 0, reservation.id)

    rows = picking.pick_list(depot_id, held=sorted(held, key=oldest_first))
    grouped: dict[int | None, list[PickRow]] = {}
    for row in rows:  # oldest first
        order_id = orders.get(row.reference, (None, None))[0]
        grouped.setdefault(order_id, []).append(row)
    page = min(page, page_count(len(grouped), per_page))
    chosen = list(grouped.items())[(page - 1) * per_page : page * per_page]
    lines = shipping.lines_for(row.reference for _o, rows in chosen for row in rows)
    groups = [
        PickGroup(order_id, [(row, lines.get(row.reference)) for row in rows])
        for order_id, rows in chosen
    ]
    return Page(items=groups, total=len(grouped), page=page, per_page=per_page)


def _orders(references: Iterable[str]) -> dict[str, tuple[int, datetime]]:
    """The order of each line these stock references name and when it was
    placed, in one query (no more: most of the list is not on the page)."""
    found = db.session.execute(
        sa.select(OrderLine.id, OrderLine.order_id, Order.placed_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.id.in_(shipping.line_ids(references)))
    )
    return {
        line_reference(line_id): (order_id, placed_at)
        for line_id, order_id, placed_at in found
    }
