"""Prescriptions: the patient index also names each prescription and its payer.

Reviewed by hand (issue 19):
- ix_prescriptions_patient_payer (patient_id, id), on PostgreSQL INCLUDE
  (clinic_id, cost_centre), replaces ix_prescriptions_patient_id: every search
  by patient still finds its prescriptions by the leading column, and an
  incremental follow-up run finds who pays for each of its patients'
  prescriptions in the index's leaf pages (a patient's entries side by side)
  instead of one scattered table row each. At 500,000 patients x 5 years
  (4.3 million prescriptions) the lookups of an incremental run of 5,000
  patients went from 0.66 s to 0.06 s; the build takes about 3 s and the
  index is 164 MB against the old one's 39 MB.
- SQLite has no INCLUDE: there the index is (patient_id, id).

Revision ID: 0023_prescriptions_patient_payer
Revises: 0022_order_lines_patient_id
Create Date: 2026-12-02 23:15:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_prescriptions_patient_payer"
down_revision = "0022_order_lines_patient_id"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_prescriptions_patient_payer",
        "prescriptions",
        ["patient_id", "id"],
        unique=False,
        postgresql_include=["clinic_id", "cost_centre"],
    )
    op.drop_index(op.f("ix_prescriptions_patient_id"), table_name="prescriptions")


def downgrade():
    op.create_index(
        op.f("ix_prescriptions_patient_id"), "prescriptions", ["patient_id"],
        unique=False,
    )
    op.drop_index("ix_prescriptions_patient_payer", table_name="prescriptions")
