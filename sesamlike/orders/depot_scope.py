"""Which order lines the aids centre handles (domain.md, need to know).

Those it ships from its own stock, until delivered and for the days unused
packs may still come back (`rules.RETURN_DAYS`), and devices, which it lends
and takes back whoever delivered them, whenever. Not a pharmacy's dispensing,
a supplier's consumables, or the history of its own deliveries. The same rule
twice: for loaded lines (an order the aids centre opens) and in SQL (the FHIR
interface's searches).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from sesamlike.catalog.models import Article, Channel
from sesamlike.common.time import region_today
from sesamlike.orders.models import UNDELIVERED_LINE_STATUSES, OrderLine
from sesamlike.orders.rules import RETURN_DAYS


def handles_any(lines: Iterable[OrderLine], today: date | None = None) -> bool:
    """Some of the lines (an order's) is the aids centre's to handle today."""
    since = (today or region_today()) - timedelta(days=RETURN_DAYS)
    return any(
        line.article.serial_tracked
        or (
            line.channel == Channel.CENTRAL
            and (
                line.status in UNDELIVERED_LINE_STATUSES
                if line.delivered_on is None
                else line.delivered_on >= since
            )
        )
        for line in lines
    )


def handled_lines() -> sa.ColumnElement[bool]:
    """`handles_any`'s rule for one line, in SQL."""
    return sa.or_(
        sa.and_(
            OrderLine.channel == Channel.CENTRAL,
            sa.or_(
                sa.and_(
                    OrderLine.delivered_on.is_(None),
                    OrderLine.status.in_(UNDELIVERED_LINE_STATUSES),
                ),
                OrderLine.delivered_on >= region_today() - timedelta(days=RETURN_DAYS),
            ),
        ),
        OrderLine.article_id.in_(
            sa.select(Article.id).where(Article.serial_tracked.is_(True))
        ),
    )
