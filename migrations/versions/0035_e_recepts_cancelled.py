"""An e-recept can be withdrawn (makulerat): pharmacy_prescriptions.status 'cancelled'.

Reviewed by hand:
- The status check of pharmacy_prescriptions admits 'cancelled': the
  prescriber's cancellation of a pharmacy line withdraws its e-recept, which
  stayed open at the pharmacy before (and the withdrawal, given back, could be
  ordered and collected again).
- Data: e-recepts still open (or partly dispensed) whose order line was
  cancelled before this revision are withdrawn now, as they would have been.
- Downgrade: withdrawn e-recepts read 'open' again, as they did before this
  revision (the old check knows no other state for them).

Revision ID: 0035_e_recepts_cancelled
Revises: 0034_care_relationship_episodes
Create Date: 2026-12-05 12:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0035_e_recepts_cancelled"
down_revision = "0034_care_relationship_episodes"
branch_labels = None
depends_on = None

OLD_STATUSES = "status in ('open','partly_dispensed','dispensed')"
NEW_STATUSES = "status in ('open','partly_dispensed','dispensed','cancelled')"


def upgrade():
    with op.batch_alter_table("pharmacy_prescriptions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_pharmacy_prescriptions_status_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_pharmacy_prescriptions_status_known"), NEW_STATUSES
        )
    op.execute(
        """
        UPDATE pharmacy_prescriptions SET status = 'cancelled'
        WHERE status IN ('open', 'partly_dispensed')
          AND order_line_id IN (
            SELECT id FROM order_lines WHERE status = 'cancelled'
          )
        """
    )


def downgrade():
    op.execute(
        "UPDATE pharmacy_prescriptions SET status = 'open' WHERE status = 'cancelled'"
    )
    with op.batch_alter_table("pharmacy_prescriptions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_pharmacy_prescriptions_status_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_pharmacy_prescriptions_status_known"), OLD_STATUSES
        )
