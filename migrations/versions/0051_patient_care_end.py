"""A patient's care in the region may end: the patient died or moved out of it.

Reviewed by hand:
- patients.care_ended_reason ('deceased' or 'moved_out', else NULL),
  care_ended_on (the day of death or of the move), care_ended_by_id (the
  prescriber who registered it, to users, indexed) and care_ended_at (when).
  All NULL for every patient: nothing to backfill.
- care_relationships.end_reason: the same reason on each episode the
  registration ended (NULL for an episode ended otherwise), so a mistaken
  registration undone opens those episodes again, and the clinics that cared
  until then keep the patient's page (devices expected back, the undo).
- outgoing_mails.kind may be 'care_ended': the one notice to a patient who
  moved out of the region (or the guardians of a child) that their orders and
  prescriptions here were stopped. The downgrade deletes such mails, as 0050's
  does its own, before it narrows the check again.
- SQLite: the columns are added and dropped in place (ALTER TABLE ... ADD /
  DROP COLUMN, as 0037 does): a batch would copy patients and lose their
  triggers (0043's grouping log).

Revision ID: 0051_patient_care_end
Revises: 0050_order_cancelled_notice
Create Date: 2026-12-07 18:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0051_patient_care_end"
down_revision = "0050_order_cancelled_notice"
branch_labels = None
depends_on = None

REASONS = "care_ended_reason in ('deceased','moved_out')"
EPISODE_REASONS = "end_reason in ('deceased','moved_out')"
CHECK_NAME = "ck_patients_care_end_reason_known"
EPISODE_CHECK_NAME = "ck_care_relationships_end_reason_known"
FK_NAME = "fk_patients_care_ended_by_id_users"
INDEX_NAME = "ix_patients_care_ended_by_id"

OLD_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link','email_changed','order_cancelled')"
)
NEW_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link','email_changed','order_cancelled','care_ended')"
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE patients ADD COLUMN care_ended_reason VARCHAR(10) "
            f"CONSTRAINT {CHECK_NAME} CHECK ({REASONS})"
        )
        op.execute("ALTER TABLE patients ADD COLUMN care_ended_on DATE")
        op.execute(
            "ALTER TABLE patients ADD COLUMN care_ended_by_id INTEGER "
            f"CONSTRAINT {FK_NAME} REFERENCES users (id)"
        )
        op.execute("ALTER TABLE patients ADD COLUMN care_ended_at DATETIME")
        op.execute(
            "ALTER TABLE care_relationships ADD COLUMN end_reason VARCHAR(10) "
            f"CONSTRAINT {EPISODE_CHECK_NAME} CHECK ({EPISODE_REASONS})"
        )
    else:
        op.add_column("patients", sa.Column("care_ended_reason", sa.String(10)))
        op.add_column("patients", sa.Column("care_ended_on", sa.Date()))
        op.add_column("patients", sa.Column("care_ended_by_id", sa.Integer()))
        op.add_column(
            "patients", sa.Column("care_ended_at", sa.DateTime(timezone=True))
        )
        op.create_check_constraint(op.f(CHECK_NAME), "patients", REASONS)
        op.create_foreign_key(
            op.f(FK_NAME), "patients", "users", ["care_ended_by_id"], ["id"]
        )
        op.add_column("care_relationships", sa.Column("end_reason", sa.String(10)))
        op.create_check_constraint(
            op.f(EPISODE_CHECK_NAME), "care_relationships", EPISODE_REASONS
        )
    op.create_index(op.f(INDEX_NAME), "patients", ["care_ended_by_id"])
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outgoing_mails_kind_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_kind_known"), NEW_KINDS
        )


def downgrade():
    op.execute("DELETE FROM outgoing_mails WHERE kind = 'care_ended'")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_outgoing_mails_kind_known"), type_="check"
        )
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mails_kind_known"), OLD_KINDS
        )
    op.drop_index(op.f(INDEX_NAME), table_name="patients")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(FK_NAME), "patients", type_="foreignkey")
        op.drop_constraint(op.f(CHECK_NAME), "patients", type_="check")
        op.drop_constraint(
            op.f(EPISODE_CHECK_NAME), "care_relationships", type_="check"
        )
    # In place on SQLite too (ALTER TABLE ... DROP COLUMN): see the upgrade.
    op.drop_column("care_relationships", "end_reason")
    for column in ("care_ended_at", "care_ended_by_id", "care_ended_on",
                   "care_ended_reason"):  # fmt: skip
        op.drop_column("patients", column)
