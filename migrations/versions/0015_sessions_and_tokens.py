"""Server-side web sessions, expiring API tokens, login locks, audit clinic code.

Reviewed by hand (issue 15, privacy by need to know):
- user_sessions: a web login lives on the server; logout and deactivation end the
  row, so a copied cookie stops working. Only the SHA-256 of the cookie's key.
- login_failures: failed logins per typed username and the lock they set, shared
  by every worker and lifted by `users unlock`.
- api_tokens.expires_at: tokens stop after N days (default 90). Tokens issued
  before this revision get 90 days from the upgrade, so no script stops at once.
- audit_events.clinic_code: the acting user's clinic for the patient's access
  log (nullable; adding a column fires no row trigger of revision 0007).

Revision ID: 0015_sessions_and_tokens
Revises: 0014_order_collected_on
Create Date: 2026-12-01 22:30:00

"""

from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_sessions_and_tokens"
down_revision = "0014_order_collected_on"
branch_labels = None
depends_on = None

TOKEN_DAYS = 90


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_sessions_ended_at"), ["ended_at"], unique=False
        )
    op.create_table(
        "login_failures",
        sa.Column("username_key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username_key", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(
        tokens.update().values(
            expires_at=datetime.now(UTC) + timedelta(days=TOKEN_DAYS)
        )
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clinic_code", sa.String(length=20), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("clinic_code")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    op.drop_table("login_failures")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_ended_at"))
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
