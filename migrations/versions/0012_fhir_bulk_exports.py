"""FHIR bulk exports: the region's $export requests, run by the scheduler.

Reviewed by hand: one new table. `key` is the unguessable part of the status URL
and the name of the folder under instance/fhir-exports; the status index serves
the job's "next queued export" and the expires_at index its clean-up.

Revision ID: 0012_fhir_bulk_exports
Revises: 0011_resupply_reminders
Create Date: 2026-12-01 22:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_fhir_bulk_exports"
down_revision = "0011_resupply_reminders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulk_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("types", sa.String(length=200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_url", sa.String(length=500), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status in ('queued','running','completed','failed','expired','deleted')",
            name=op.f("ck_bulk_exports_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bulk_exports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_exports")),
        sa.UniqueConstraint("key", name=op.f("uq_bulk_exports_key")),
    )
    with op.batch_alter_table("bulk_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_exports_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bulk_exports_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bulk_exports_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("bulk_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_exports_expires_at"))
        batch_op.drop_index(batch_op.f("ix_bulk_exports_status"))
        batch_op.drop_index(batch_op.f("ix_bulk_exports_user_id"))
    op.drop_table("bulk_exports")
