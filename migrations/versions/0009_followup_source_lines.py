"""Follow-up: the order lines each patient-year's systems and prescriber come from.

Reviewed by hand: three nullable integer columns on patient_year_costs, with no
foreign key and no index, like prescription_id beside them. The computation
stores the pump line and the CGM device line in use longest and the line whose
prescription names the prescriber; a rerun compares them with the amounts to
find the rows that changed, and resolves systems and prescriber for those rows
only. Existing rows keep their figures; the next run fills the columns (a NULL
differs from a computed id, so each row is written once more).

Revision ID: 0009_followup_source_lines
Revises: 0008_followup_prescription
Create Date: 2026-11-24 01:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_followup_source_lines"
down_revision = "0008_followup_prescription"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient_year_costs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pump_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cgm_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("prescriber_line_id", sa.Integer(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("patient_year_costs", schema=None) as batch_op:
        batch_op.drop_column("prescriber_line_id")
        batch_op.drop_column("cgm_line_id")
        batch_op.drop_column("pump_line_id")
