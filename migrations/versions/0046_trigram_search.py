"""A typed part of a name or a serial number, found by its trigrams (PostgreSQL);
devices by status.

Reviewed by hand:
- The extension pg_trgm (PostgreSQL's contrib; a trusted extension since
  PostgreSQL 13: the database's owner may create it), created if the server
  has it. Without it nothing below is made, and the searches read as before.
- New GIN index ix_patients_search_name_trgm on patients (search_name
  gin_trgm_ops). Every search by name (the prescriber's patient search, the
  aids centre's returns and devices on loan) matches the typed text anywhere
  in the folded name (LIKE '%...%'), which read all patients: 50 ms a
  statement at 500,000 patients, two or three statements a search.
- New partial GIN index ix_order_lines_serial_no_trgm on order_lines
  (serial_no gin_trgm_ops) WHERE serial_no IS NOT NULL: the returns search
  matches a typed part of a serial (ILIKE '%...%') among the 489,254 lines
  with one, 0.1 s a statement from ix_order_lines_serial_no (0044), which
  stays: it carries the order id for an exact serial.
- New GIN index ix_devices_serial_no_trgm on devices (serial_no
  gin_trgm_ops): the devices-on-loan search matches a typed part of a serial
  (ILIKE '%...%') among all 489,249 devices, 30 ms a statement.
- New index ix_devices_status on devices (status), on both databases: the
  devices page lists those in quarantine on every view, and lending finds
  those in stock; both few among the devices on loan, which were all read
  (33 ms at 489,249 devices).
- On SQLite only ix_devices_status is made (no trigram indexes there; a
  region on SQLite is small).
- No data changes. At 500,000 patients x 5 years the trigram indexes took
  1.3 s (patients), 2.4 s (order lines) and 0.9 s (devices) to build, 15, 16
  and 12 MB.
- Downgrade drops the indexes and leaves the extension (other objects may
  use it; it changes nothing by itself).

Revision ID: 0046_trigram_search
Revises: 0045_awaiting_collection_index
Create Date: 2026-12-06 18:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0046_trigram_search"
down_revision = "0045_awaiting_collection_index"
branch_labels = None
depends_on = None

SERIAL_ROWS = "serial_no IS NOT NULL"
TRIGRAM_INDEXES = (
    "ix_devices_serial_no_trgm",
    "ix_order_lines_serial_no_trgm",
    "ix_patients_search_name_trgm",
)


def upgrade():
    op.create_index("ix_devices_status", "devices", ["status"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.scalar(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if not available:
        print("pg_trgm is not on this server: searches by part of a name or a "
              "serial read every row, as before.")  # fmt: skip
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_patients_search_name_trgm",
        "patients",
        ["search_name"],
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_order_lines_serial_no_trgm",
        "order_lines",
        ["serial_no"],
        postgresql_using="gin",
        postgresql_ops={"serial_no": "gin_trgm_ops"},
        postgresql_where=sa.text(SERIAL_ROWS),
    )
    op.create_index(
        "ix_devices_serial_no_trgm",
        "devices",
        ["serial_no"],
        postgresql_using="gin",
        postgresql_ops={"serial_no": "gin_trgm_ops"},
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_devices_status", table_name="devices")
