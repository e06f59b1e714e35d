"""A typed part of a name or a serial number, found by its trigrams (PostgreSQL);
devices by status.

Reviewed by hand:
- The extension pg_trgm (PostgreSQL's contrib; a trusted extension since
  PostgreSQL 13: a role with CREATE on the database may create it), created
  if the server has it and the role may (in a savepoint). Where it cannot
  be used the migration says why, makes ix_devices_status and no trigram
  index, and the searches read as before (README, Production: how to make
  them later).
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
- Drops ix_devices_serial_no_upper (0044): the returns search found a
  device's holder by the whole serial in upper case; it now matches a typed
  part of it (ILIKE, the trigram index above), and nothing else reads that
  index. Every write of a device no longer updates it.
- On SQLite only ix_devices_status is made and the upper-case index dropped
  (no trigram indexes there; a region on SQLite is small).
- No data changes. At 500,000 patients x 5 years the trigram indexes took
  1.3 s (patients), 2.4 s (order lines) and 0.9 s (devices) to build, 15, 16
  and 12 MB.
- Downgrade drops the indexes, makes ix_devices_serial_no_upper again, and
  leaves the extension (other objects may use it; it changes nothing by
  itself).

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
    op.drop_index("ix_devices_serial_no_upper", table_name="devices")
    op.create_index("ix_devices_status", "devices", ["status"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not _trigrams(bind):
        return
    for name, table, column, where in (
        ("ix_patients_search_name_trgm", "patients", "search_name", None),
        ("ix_order_lines_serial_no_trgm", "order_lines", "serial_no", SERIAL_ROWS),
        ("ix_devices_serial_no_trgm", "devices", "serial_no", None),
    ):
        op.create_index(
            name,
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            postgresql_where=sa.text(where) if where else None,
        )


def _trigrams(bind) -> bool:
    """Whether pg_trgm's operator class can be used here: the extension is
    created if the server has it and this role may (in a savepoint: a role
    that may not leaves the rest of the migration to go on), and found on
    the search path. Else says why and that the searches read as before."""
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    if not bind.scalar(sa.text(installed)):
        available = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        if not bind.scalar(sa.text(available)):
            return _without("the server has no pg_trgm (postgresql-contrib)")
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION pg_trgm")
        except sa.exc.DBAPIError as error:
            return _without(f"pg_trgm could not be created ({error.orig})")
    visible = ("SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops' "
               "AND pg_opclass_is_visible(oid)")  # fmt: skip
    if not bind.scalar(sa.text(visible)):
        return _without("pg_trgm's schema is not on the search path")
    return True


def _without(why: str) -> bool:
    print(f"0046: no trigram indexes: {why}. Searches by part of a name or a "
          "serial read every row, as before; to make them later, see the "
          "README (Production).")  # fmt: skip
    return False


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_devices_status", table_name="devices")
    op.create_index(
        "ix_devices_serial_no_upper", "devices", [sa.text("upper(serial_no)")]
    )
