"""A patient's lines not delivered yet, by a partial index of their own.

Reviewed by hand:
- New partial index ix_order_lines_undelivered_patient_id on order_lines
  (patient_id) for the lines ordered and not delivered yet (statuses
  backordered, reserved, sent_to_pharmacy, sent_to_supplier, shipped). The
  reorder form and "my aids" ask whether a patient has such a line on each of
  their prescriptions; PostgreSQL cannot estimate the renewal chain they join
  (a recursive CTE), and read every open line of the region through
  ix_order_lines_status (2,560 of them: 0.3 ms, growing with the region's
  open orders) where this index finds the patient's few. No data changes;
  the index is small (only undelivered lines). Its condition is an OR of
  equalities, not an IN list: PostgreSQL gives it back as written (a deferred
  bulk load drops and makes it again from pg_get_indexdef), and SQLite uses it
  for the queries that say the same.
- Downgrade drops it.

Revision ID: 0040_undelivered_lines_index
Revises: 0039_put_back_index
Create Date: 2026-12-05 19:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0040_undelivered_lines_index"
down_revision = "0039_put_back_index"
branch_labels = None
depends_on = None

UNDELIVERED_ROWS = (
    "status = 'backordered' OR status = 'reserved' OR status = 'sent_to_pharmacy' "
    "OR status = 'sent_to_supplier' OR status = 'shipped'"
)


def upgrade():
    op.create_index(
        "ix_order_lines_undelivered_patient_id",
        "order_lines",
        ["patient_id"],
        unique=False,
        postgresql_where=sa.text(UNDELIVERED_ROWS),
        sqlite_where=sa.text(UNDELIVERED_ROWS),
    )


def downgrade():
    op.drop_index("ix_order_lines_undelivered_patient_id", table_name="order_lines")
