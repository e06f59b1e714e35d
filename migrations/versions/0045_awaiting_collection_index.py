"""Orders to the clinic nobody has marked collected, by a partial index of
their own: the prescriber's "waiting at the clinic" list.

Reviewed by hand:
- New partial index ix_orders_awaiting_collection on orders (patient_id) for
  the orders delivered to the clinic with no collection day (delivery_mode
  'clinic' and collected_on NULL). The work list finds the orders of the
  patients in a clinic's care waiting there: PostgreSQL read every order of
  every patient in care for it (a clinic of 25,872 patients at 500,000 x 5:
  414,000 orders, 0.27 s on every work-list page, as each list is counted);
  from this index, 0.02 s. A clinic marks most such orders collected, and an
  order delivered weeks ago counts as collected without it
  (`orders.status.collected_clause`), so the index holds few of them and
  grows slowly.
- No data changes. Building it read the 8.5 million orders of 500,000 x 5 in
  about 1 s; the table is written meanwhile only by migrations (made before
  the app starts).
- Downgrade drops it.

Revision ID: 0045_awaiting_collection_index
Revises: 0044_serials_index
Create Date: 2026-12-06 16:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0045_awaiting_collection_index"
down_revision = "0044_serials_index"
branch_labels = None
depends_on = None

AWAITING_COLLECTION_ROWS = "delivery_mode = 'clinic' AND collected_on IS NULL"


def upgrade():
    op.create_index(
        "ix_orders_awaiting_collection",
        "orders",
        ["patient_id"],
        unique=False,
        postgresql_where=sa.text(AWAITING_COLLECTION_ROWS),
        sqlite_where=sa.text(AWAITING_COLLECTION_ROWS),
    )


def downgrade():
    op.drop_index("ix_orders_awaiting_collection", table_name="orders")
