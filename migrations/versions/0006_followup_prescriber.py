"""Follow-up: each patient-year's prescriber, stored with its cost.

Reviewed by hand: a nullable column on patient_year_costs (no foreign key, like
audit_events.patient_id: a cost row outlives a deleted account), filled by the
cost computation. No index: the report reads the column together with the rest
of a clinic's rows.

Revision ID: 0006_followup_prescriber
Revises: 0005_followup_runs
Create Date: 2026-11-24 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_followup_prescriber'
down_revision = '0005_followup_runs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescriber_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.drop_column('prescriber_id')
