"""A device remembers whose amortisation it runs on; a device lent again continues it.

Reviewed by hand:
- devices.amortised_line_id (nullable, to order_lines): the order line that
  first lent the device, or the first line of its warranty chain. Set for every
  device lent before: from the earliest delivered line that names its article
  and serial number, else from the line it is lent under now (its reference).
- A device reconditioned before this revision had its warranty end cleared:
  it gets back the end its first delivery gave it (a device lent again keeps
  it from now on).
- SQLite: the column is added and dropped in place (no batch copy of the
  table, which would lose the data-change triggers of 0025).
- Order lines that lent a device again after it came back and was
  reconditioned (a durable line naming a serial number already delivered on an
  earlier line, not a warranty replacement) get that device's
  `amortised_line_id`: the follow-up continues the first delivery's period and
  daily rate on them, as on a warranty replacement, instead of charging the
  whole price a second time. The rules version changes with this revision
  (followup.runs.RULES_VERSION 5), so the next run of each year rewrites its
  rows.
- The downgrade clears those lines' link (they cost the whole price again, as
  before) and drops the column.

Revision ID: 0037_device_amortisation
Revises: 0036_email_changed_notice
Create Date: 2026-12-05 15:00:00

"""

import calendar
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0037_device_amortisation"
down_revision = "0036_email_changed_notice"
branch_labels = None
depends_on = None

# The first delivered line of each (article, serial) that a line names.
FIRST_LINES = """
    SELECT article_id, serial_no, first_id FROM (
        SELECT article_id, serial_no,
               COALESCE(amortised_line_id, id) AS first_id,
               ROW_NUMBER() OVER (PARTITION BY article_id, serial_no
                                  ORDER BY delivered_on, id) AS n
        FROM order_lines
        WHERE serial_no IS NOT NULL AND delivered_on IS NOT NULL
          AND serial_no NOT LIKE '%,%'
    ) AS ranked WHERE n = 1
"""


FK_NAME = "fk_devices_amortised_line_id_order_lines"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # In place (ALTER TABLE ... ADD COLUMN with its named reference): a
        # batch would copy the table and lose its triggers (0025's data log).
        op.execute(
            "ALTER TABLE devices ADD COLUMN amortised_line_id INTEGER "
            f"CONSTRAINT {FK_NAME} REFERENCES order_lines (id)"
        )
    else:
        op.add_column("devices", sa.Column("amortised_line_id", sa.Integer()))
        op.create_foreign_key(
            op.f(FK_NAME), "devices", "order_lines", ["amortised_line_id"], ["id"]
        )
    op.execute(
        f"""
        UPDATE devices SET amortised_line_id = firsts.first_id
        FROM ({FIRST_LINES}) AS firsts
        WHERE firsts.article_id = devices.article_id
          AND firsts.serial_no = devices.serial_no
        """
    )
    # Lent under a line that does not name the serial (an imported history).
    op.execute(
        """
        UPDATE devices SET amortised_line_id = (
            SELECT COALESCE(ol.amortised_line_id, ol.id) FROM order_lines ol
            WHERE ol.id = CAST(SUBSTR(devices.reference, 12) AS INTEGER)
        )
        WHERE amortised_line_id IS NULL AND reference LIKE 'order-line:%'
        """
    )
    # A device reconditioned before this revision lost its warranty end: it
    # runs from its first delivery (as `stock.devices.warranty_end` counts).
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            """
            SELECT devices.id, order_lines.delivered_on, articles.amortisation_years
            FROM devices
            JOIN order_lines ON order_lines.id = devices.amortised_line_id
            JOIN articles ON articles.id = devices.article_id
            WHERE devices.warranty_end IS NULL
              AND order_lines.delivered_on IS NOT NULL
              AND articles.amortisation_years > 0
            """
        )
    ).all()
    for device_id, delivered_on, years in rows:
        start = date.fromisoformat(str(delivered_on))
        year = start.year + years
        end = start.replace(
            year=year, day=min(start.day, calendar.monthrange(year, start.month)[1])
        )
        bind.execute(
            sa.text("UPDATE devices SET warranty_end = :end WHERE id = :id"),
            {"end": end, "id": device_id},
        )
    # A line that lent a device delivered before on another line.
    op.execute(
        """
        UPDATE order_lines SET amortised_line_id = devices.amortised_line_id
        FROM devices
        WHERE devices.article_id = order_lines.article_id
          AND devices.serial_no = order_lines.serial_no
          AND devices.amortised_line_id <> order_lines.id
          AND order_lines.amortised_line_id IS NULL
          AND order_lines.replaces_line_id IS NULL
          AND order_lines.delivered_on IS NOT NULL
        """
    )


def downgrade():
    op.execute(
        """
        UPDATE order_lines SET amortised_line_id = NULL
        WHERE replaces_line_id IS NULL AND amortised_line_id IS NOT NULL
        """
    )
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(FK_NAME), "devices", type_="foreignkey")
    # In place on SQLite too (ALTER TABLE ... DROP COLUMN): see the upgrade.
    op.drop_column("devices", "amortised_line_id")
