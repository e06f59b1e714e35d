"""Follow-up: the prescription each patient-year's prescriber comes from.

Reviewed by hand: a nullable column on patient_year_costs, no foreign key and no
index, like prescriber_id beside it. The cost computation compares it to decide
whether a row changed, and looks the prescriber up only for rows it writes.
Existing rows keep their figures; the next run fills the column (a NULL differs
from the computed id, so each row is written once more).

Also drops ix_patient_year_costs_patient_id: the unique (patient_id, year)
constraint's index starts with patient_id and serves the same lookups, and each
index costs every row the computation writes.

Revision ID: 0008_followup_prescription
Revises: 0007_audit_append_only
Create Date: 2026-11-23 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_followup_prescription'
down_revision = '0007_audit_append_only'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescription_id', sa.Integer(), nullable=True))
        batch_op.drop_index('ix_patient_year_costs_patient_id')


def downgrade():
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.create_index('ix_patient_year_costs_patient_id', ['patient_id'], unique=False)
        batch_op.drop_column('prescription_id')
