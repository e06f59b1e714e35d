"""Follow-up runs: when each year's patient costs were last computed.

Reviewed by hand: one row per successful `followup run` (or nightly job) of a year,
written in the same transaction as the costs it computed, so a failed run leaves no
row and the next incremental run still starts from the last good one. The index on
year serves "the latest run of this year"; catalogue_digest holds a SHA-256 hex.

Revision ID: 0005_followup_runs
Revises: 0004_supplier_pharmacy
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_followup_runs'
down_revision = '0004_supplier_pharmacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('followup_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('patients', sa.Integer(), nullable=False),
    sa.Column('catalogue_digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_runs'))
    )
    with op.batch_alter_table('followup_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_runs_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('followup_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_runs_year'))

    op.drop_table('followup_runs')
