"""Packs cancelled after picking are found however old: two partial indexes.

Reviewed by hand:
- New partial index ix_stock_movements_put_back on stock_movements
  (reference, lot_id) for the rows `ledger.put_back` writes (kind 'return',
  reason_code 'cancelled'): the depot's pages ask for such packs until a clerk
  says they are back on the shelf, however long ago, where they looked back 60
  days to bound the read of a long ledger. No data changes; the index is
  small (only those rows).
- New partial index ix_stock_movements_shelved on stock_movements
  (reference, lot_id) for the clerk's "shelved" rows: each put-back is matched
  against them by an index-only probe, not a read of its reference's ledger
  (20,000 put-backs, all shelved but 5: 127 ms before, 33 ms after, on
  PostgreSQL 15 beside 2 million other ledger rows).
- Downgrade drops both indexes.

Revision ID: 0039_put_back_index
Revises: 0038_kept_forms
Create Date: 2026-12-05 17:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0039_put_back_index"
down_revision = "0038_kept_forms"
branch_labels = None
depends_on = None

PUT_BACK_ROWS = "kind = 'return' AND reason_code = 'cancelled'"
SHELVED_ROWS = "kind = 'shelved'"


def upgrade():
    op.create_index(
        "ix_stock_movements_put_back",
        "stock_movements",
        ["reference", "lot_id"],
        unique=False,
        postgresql_where=sa.text(PUT_BACK_ROWS),
        sqlite_where=sa.text(PUT_BACK_ROWS),
    )
    op.create_index(
        "ix_stock_movements_shelved",
        "stock_movements",
        ["reference", "lot_id"],
        unique=False,
        postgresql_where=sa.text(SHELVED_ROWS),
        sqlite_where=sa.text(SHELVED_ROWS),
    )


def downgrade():
    op.drop_index("ix_stock_movements_shelved", table_name="stock_movements")
    op.drop_index("ix_stock_movements_put_back", table_name="stock_movements")
