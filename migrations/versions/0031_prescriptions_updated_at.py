"""Prescriptions: updated_at, moved by every write of the row.

Reviewed by hand (FHIR integrator review):
- prescriptions.updated_at: set when the row is written and on every UPDATE
  (the model's default and onupdate, which the ORM and core UPDATEs both
  apply: a withdrawal taken by the compare-and-set, one given back by a
  cancelled order, a cancellation). The FHIR export's _since read only
  created_at, cancelled_at and last_withdrawal_on, so a withdrawal given back
  (withdrawals_used down, last_withdrawal_on back to an earlier day or none)
  was never "changed since".
- Existing rows: when each last changed is not known, so each counts as
  changed at this upgrade; the first incremental export after it carries
  every prescription once. A constant default does that without writing a
  row: PostgreSQL (11 and later) adds the column without rewriting the table,
  and no trigger of the data-change log (0024, 0025) fires for every row.
  PostgreSQL drops the default again; SQLite cannot without copying the
  table (which would drop its triggers), so there the constant stays as the
  column's default, unused (every writer gives a value).
- ix_prescriptions_updated_at: an export since a recent moment finds the few
  rows by index.
- Not the data-change log (patient_data_changes): it has no time, names
  patients rather than prescriptions, and is emptied every night.

Revision ID: 0031_prescriptions_updated_at
Revises: 0030_depot_staff
Create Date: 2026-12-06 09:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_prescriptions_updated_at"
down_revision = "0030_depot_staff"
branch_labels = None
depends_on = None

INDEX = "ix_prescriptions_updated_at"


def upgrade():
    now = datetime.now(UTC)
    postgresql = op.get_bind().dialect.name == "postgresql"
    # As each database stores a timestamp (SQLite: SQLAlchemy's naive UTC text).
    upgraded_at = (
        now.isoformat(sep=" ", timespec="microseconds")
        if postgresql
        else now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    )
    op.add_column(
        "prescriptions",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=upgraded_at,
        ),
    )
    if postgresql:
        op.alter_column("prescriptions", "updated_at", server_default=None)
    op.create_index(op.f(INDEX), "prescriptions", ["updated_at"], unique=False)


def downgrade():
    op.drop_index(op.f(INDEX), table_name="prescriptions")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("prescriptions", "updated_at")
    else:
        # Not batch mode: copying the table would drop its data-change triggers.
        op.execute("ALTER TABLE prescriptions DROP COLUMN updated_at")
