"""The outbox may hold the notice that a staff account's e-mail was changed.

Reviewed by hand:
- outgoing_mails.kind may be 'email_changed': when an admin changes a staff
  account's e-mail address, the old address is told (password links go to the
  new one). No other change. The downgrade deletes such mails, as 0017's
  deletes the password links', before it narrows the check again.

Revision ID: 0036_email_changed_notice
Revises: 0035_e_recepts_cancelled
Create Date: 2026-12-06 09:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0036_email_changed_notice"
down_revision = "0035_e_recepts_cancelled"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link')"
)
NEW_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link','email_changed')"
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
    op.execute("DELETE FROM outgoing_mails WHERE kind = 'email_changed'")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outgoing_mails_kind_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_kind_known"), OLD_KINDS
        )
