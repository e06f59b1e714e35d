"""Forms sent after their login ran out are kept for the next login: kept_forms.

Reviewed by hand:
- New table kept_forms: a form (its page's path and its fields as JSON) sent
  in a web session that had run out, tied to that session (user_sessions.id,
  ON DELETE CASCADE: purged with it). At the same user's next login in the
  same browser it moves to the new session and fills the form in once. Rows
  live minutes (accounts.kept_forms.KEEP_MINUTES); nothing else changes.
- Downgrade drops the table: forms kept at that moment are lost, as they were
  before this revision.

Revision ID: 0038_kept_forms
Revises: 0037_device_amortisation
Create Date: 2026-12-05 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0038_kept_forms"
down_revision = "0037_device_amortisation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kept_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["user_sessions.id"],
            ondelete="CASCADE",
            name=op.f("fk_kept_forms_session_id_user_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_forms")),
    )
    with op.batch_alter_table("kept_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_forms_session_id"), ["session_id"])
        batch_op.create_index(batch_op.f("ix_kept_forms_kept_at"), ["kept_at"])


def downgrade():
    op.drop_table("kept_forms")
