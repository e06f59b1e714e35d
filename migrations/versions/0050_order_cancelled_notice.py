"""The outbox may hold the notice that an order, or part of it, was cancelled.

Reviewed by hand:
- outgoing_mails.kind may be 'order_cancelled': when a prescriber or the portal
  cancels (makulerar) an order or one of its lines, the patient or the guardians
  are told what will not come. No other change. The downgrade deletes such
  mails, as 0036's deletes its own, before it narrows the check again.

Revision ID: 0050_order_cancelled_notice
Revises: 0049_patient_pseudonyms
Create Date: 2026-12-07 16:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0050_order_cancelled_notice"
down_revision = "0049_patient_pseudonyms"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link','email_changed')"
)
NEW_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link','email_changed','order_cancelled')"
)


def upgrade():
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outgoing_mails_kind_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_kind_known"), NEW_KINDS
        )


def downgrade():
    op.execute("DELETE FROM outgoing_mails WHERE kind = 'order_cancelled'")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outgoing_mails_kind_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_kind_known"), OLD_KINDS
        )
