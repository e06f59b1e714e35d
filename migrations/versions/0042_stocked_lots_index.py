"""An article's lots with packs, from a partial index: what every order locks
and sums its free stock from.

Reviewed by hand:
- New partial index ix_stock_lots_stocked_article_id on stock_lots
  (article_id, id) for the lots with on_hand > 0. Every order row-locks its
  articles' lots and sums their packs on hand while it holds the locks, so
  every other order of those articles waits that long. Lots are never deleted:
  the lock and the sum went through every lot the article ever had, nearly all
  of them used up in a long history. The lock now takes the lots with packs
  (and the article's advisory lock, `stock.reservations.lock_articles`), in
  the index's order. bench/stock_locks.py on PostgreSQL 15, 187,020 lots
  (11,000 of each of 17 articles, 100 with packs), one order's stock step for
  two articles: median 18.5-19.2 ms before (the lock alone 15.5-16.0 ms),
  1.36-1.40 ms after (0.67-0.69 ms); SQLite 13.5-14.3 ms -> 1.33-1.34 ms.
- on_hand is now in an index's condition: an UPDATE of a lot's on hand is no
  longer a heap-only update (a new entry in each of the table's indexes).
  Lots change on receipts, picks, returns and counts, not per order.
- No data changes. Downgrade drops the index.

Revision ID: 0042_stocked_lots_index
Revises: 0041_active_reservations_index
Create Date: 2026-12-05 22:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0042_stocked_lots_index"
down_revision = "0041_active_reservations_index"
branch_labels = None
depends_on = None

STOCKED_LOT_ROWS = "on_hand > 0"


def upgrade():
    op.create_index(
        "ix_stock_lots_stocked_article_id",
        "stock_lots",
        ["article_id", "id"],
        unique=False,
        postgresql_where=sa.text(STOCKED_LOT_ROWS),
        sqlite_where=sa.text(STOCKED_LOT_ROWS),
    )


def downgrade():
    op.drop_index("ix_stock_lots_stocked_article_id", table_name="stock_lots")
