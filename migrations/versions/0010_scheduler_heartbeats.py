"""Scheduler heartbeats: each scheduler process says it is alive.

Reviewed by hand: one new table, keyed by the process (host:pid); nothing else
changes. The jobs page warns when no row has been seen for two minutes.

Revision ID: 0010_scheduler_heartbeats
Revises: 0009_followup_source_lines
Create Date: 2026-12-01 22:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_scheduler_heartbeats"
down_revision = "0009_followup_source_lines"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_scheduler_heartbeats")),
    )
    with op.batch_alter_table("scheduler_heartbeats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduler_heartbeats_seen_at"), ["seen_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("scheduler_heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduler_heartbeats_seen_at"))
    op.drop_table("scheduler_heartbeats")
