"""Orders delivered to the clinic record the day the patient collected them.

Reviewed by hand: one nullable date column on orders. The clinic's work list
shows clinic deliveries that wait for the patient until it is set; existing
orders start without it (a clinic delivery of the past shows as waiting until
someone marks it collected, which the work list limits to recent deliveries).

Revision ID: 0014_order_collected_on
Revises: 0013_patient_search_name
Create Date: 2026-12-01 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_order_collected_on"
down_revision = "0013_patient_search_name"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collected_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("collected_on")
