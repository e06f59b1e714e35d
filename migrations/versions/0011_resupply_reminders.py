"""Resupply reminders: the patient's reminder preference, the reminder cycles, and
the outbox's channel (e-mail or SMS).

Reviewed by hand: two new tables and one new column. The outbox's kind check gains
'resupply_reminder' (a repeated reminder) and a channel column with 'email' for
every existing row, so nothing already queued changes. SQLite rebuilds the table in
batch mode; PostgreSQL alters it in place.

Revision ID: 0011_resupply_reminders
Revises: 0010_scheduler_heartbeats
Create Date: 2026-12-01 22:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_resupply_reminders"
down_revision = "0010_scheduler_heartbeats"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring')"
)
NEW_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder')"
)


def upgrade():
    op.create_table(
        "reminder_preferences",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel in ('email','sms')",
            name=op.f("ck_reminder_preferences_channel_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], ondelete="CASCADE",
            name=op.f("fk_reminder_preferences_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"],
            name=op.f("fk_reminder_preferences_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_reminder_preferences")),
    )
    with op.batch_alter_table("reminder_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_preferences_updated_by_id"), ["updated_by_id"]
        )
    op.create_table(
        "resupply_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("withdrawals_used", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("last_notice_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "ended_reason is null or ended_reason in "
            "('ordered','opted_out','last_notice','not_active')",
            name=op.f("ck_resupply_cycles_ended_reason_known"),
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescriptions.id"], ondelete="CASCADE",
            name=op.f("fk_resupply_cycles_prescription_id_prescriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resupply_cycles")),
        sa.UniqueConstraint(
            "prescription_id", "withdrawals_used",
            name=op.f("uq_resupply_cycles_prescription_id_withdrawals_used"),
        ),
    )
    with op.batch_alter_table("resupply_cycles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resupply_cycles_prescription_id"), ["prescription_id"]
        )
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel", sa.String(length=10), nullable=False, server_default="email"
            )
        )
        batch_op.drop_constraint(batch_op.f("ck_outgoing_mails_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outgoing_mails_kind_known"), NEW_KINDS)
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_channel_known"), "channel in ('email','sms')"
        )


def downgrade():
    op.execute("DELETE FROM outgoing_mails WHERE kind = 'resupply_reminder'")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outgoing_mails_channel_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_outgoing_mails_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outgoing_mails_kind_known"), OLD_KINDS)
        batch_op.drop_column("channel")
    with op.batch_alter_table("resupply_cycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resupply_cycles_prescription_id"))
    op.drop_table("resupply_cycles")
    with op.batch_alter_table("reminder_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_preferences_updated_by_id"))
    op.drop_table("reminder_preferences")
