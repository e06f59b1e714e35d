"""A prescription taken over by another clinic names the prescription that took it over.

Reviewed by hand:
- prescriptions.taken_over_by_id (nullable, to prescriptions, indexed): set by
  a take-over (`prescriptions.take_over`) on the old prescription, to the new
  one. The new one's renewed_from_id names the old one, as a renewal's does,
  so nothing else told a take-over from a renewal; a withdrawal given back to
  the old prescription after its take-over (an order placed on it before,
  cancelled or wholly returned after) goes on to the one in force that took it
  over (`orders.withdrawals.give_back`), and the index finds a taker's old
  prescription for its time lock.
- Backfill from the audit log, which is append-only (0007) and written in the
  take-over's own transaction: each take-over wrote an audit row 'take_over'
  on the new prescription with the detail 'from <old id> (<clinic>)'. The old
  prescription is the new one's renewed_from_id; both must agree. A renewal
  writes 'renew', never 'take_over', so no renewal is marked.
- SQLite: the column is added and dropped in place (ALTER TABLE ... ADD /
  DROP COLUMN, as 0051 does): a batch would copy prescriptions and lose their
  data-change triggers (0025). The index goes before the column is dropped.

Revision ID: 0052_prescription_taken_over_by
Revises: 0051_patient_care_end
Create Date: 2026-12-07 21:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0052_prescription_taken_over_by"
down_revision = "0051_patient_care_end"
branch_labels = None
depends_on = None

FK_NAME = "fk_prescriptions_taken_over_by_id_prescriptions"
INDEX_NAME = "ix_prescriptions_taken_over_by_id"

# The new prescription of each take-over the audit log records, for the old one.
BACKFILL = """
    UPDATE prescriptions SET taken_over_by_id = (
        SELECT MAX(taker.id) FROM prescriptions AS taker
        JOIN audit_events
          ON audit_events.object_id = CAST(taker.id AS VARCHAR(40))
         AND audit_events.object_type = 'prescription'
         AND audit_events.action = 'take_over'
         AND audit_events.detail LIKE
             'from ' || CAST(prescriptions.id AS VARCHAR(40)) || ' (%'
        WHERE taker.renewed_from_id = prescriptions.id
    )
    WHERE EXISTS (
        SELECT 1 FROM prescriptions AS taker
        WHERE taker.renewed_from_id = prescriptions.id
    )
"""


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE prescriptions ADD COLUMN taken_over_by_id INTEGER "
            f"CONSTRAINT {FK_NAME} REFERENCES prescriptions (id)"
        )
    else:
        op.add_column("prescriptions", sa.Column("taken_over_by_id", sa.Integer()))
        op.create_foreign_key(
            op.f(FK_NAME), "prescriptions", "prescriptions",
            ["taken_over_by_id"], ["id"],
        )  # fmt: skip
    op.create_index(op.f(INDEX_NAME), "prescriptions", ["taken_over_by_id"])
    op.execute(BACKFILL)


def downgrade():
    op.drop_index(op.f(INDEX_NAME), table_name="prescriptions")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(FK_NAME), "prescriptions", type_="foreignkey")
    # In place on SQLite too (ALTER TABLE ... DROP COLUMN): see the upgrade.
    op.drop_column("prescriptions", "taken_over_by_id")
