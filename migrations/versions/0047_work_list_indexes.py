"""The prescriber's work lists counted from two partial indexes: a patient's
prescriptions not cancelled by validity, and devices on loan by warranty end.

Reviewed by hand:
- New partial index ix_prescriptions_patient_valid_to on prescriptions
  (patient_id, valid_to) WHERE status <> 'cancelled'. "Running out" looks at
  each patient of a clinic in care for the prescriptions valid lately: by
  ix_prescriptions_patient_payer it read every prescription of each (8 a
  patient at 500,000 x 5), by this one those still valid (about 2).
- New partial index ix_devices_on_loan_warranty on devices (patient_id,
  warranty_end) WHERE status = 'on_loan': "warranty ends" is counted per
  patient from the index alone, not from each device's row.
- Neither holds a column a withdrawal or a return writes but status, so a
  reorder's update of its prescriptions stays as it was.
- No data changes. At 500,000 x 5 the builds read 4.3 million prescriptions
  and 489,000 devices in about 3 s; the tables are written meanwhile only by
  migrations (made before the app starts).
- Downgrade drops both.

Revision ID: 0047_work_list_indexes
Revises: 0046_trigram_search
Create Date: 2026-12-06 21:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0047_work_list_indexes"
down_revision = "0046_trigram_search"
branch_labels = None
depends_on = None

NOT_CANCELLED_ROWS = "status <> 'cancelled'"
ON_LOAN_ROWS = "status = 'on_loan'"


def upgrade():
    op.create_index(
        "ix_prescriptions_patient_valid_to",
        "prescriptions",
        ["patient_id", "valid_to"],
        unique=False,
        postgresql_where=sa.text(NOT_CANCELLED_ROWS),
        sqlite_where=sa.text(NOT_CANCELLED_ROWS),
    )
    op.create_index(
        "ix_devices_on_loan_warranty",
        "devices",
        ["patient_id", "warranty_end"],
        unique=False,
        postgresql_where=sa.text(ON_LOAN_ROWS),
        sqlite_where=sa.text(ON_LOAN_ROWS),
    )


def downgrade():
    op.drop_index("ix_devices_on_loan_warranty", table_name="devices")
    op.drop_index("ix_prescriptions_patient_valid_to", table_name="prescriptions")
