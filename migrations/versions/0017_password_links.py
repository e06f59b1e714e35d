"""One-time password links (admin pages: new accounts and password resets).

Reviewed by hand (issue 18, administration):
- password_links: the SHA-256 of a link's token, its user, expiry, when it was used
  and which admin sent it. A link works once and only before it expires.
- outgoing_mails.kind may be 'password_link' (the mail that carries the link).

Revision ID: 0017_password_links
Revises: 0016_partial_returns
Create Date: 2026-12-02 01:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_password_links"
down_revision = "0016_partial_returns"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder')"
)
NEW_KINDS = (
    "kind in ('order_received','order_shipped','order_delivered','runout_reminder',"
    "'time_lock_open','prescription_low','prescription_expiring','resupply_reminder',"
    "'password_link')"
)


def upgrade():
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE",
            name=op.f("fk_password_links_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_password_links_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_links_token_hash")),
    )
    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_links_user_id"), ["user_id"])
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outgoing_mails_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outgoing_mails_kind_known"), NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outgoing_mails WHERE kind = 'password_link'")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outgoing_mails_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outgoing_mails_kind_known"), OLD_KINDS)
    op.drop_table("password_links")
