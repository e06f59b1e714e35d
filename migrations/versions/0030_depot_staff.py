"""Aids-centre staff: each login's own depot (hemlager).

Reviewed by hand:
- depot_staff: one row per depot login that has a depot of its own
  (user_id the key, removed with the user; depot_id indexed for the depot's
  staff). No row: the depot pages open on the first depot by code, as before.
- Nothing existing changes; existing logins get no depot until an
  administrator sets one (or `users set-depot`).

Revision ID: 0030_depot_staff
Revises: 0029_costs_room_to_update
Create Date: 2026-12-05 07:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030_depot_staff"
down_revision = "0029_costs_room_to_update"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "depot_staff",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depots.id"], name=op.f("fk_depot_staff_depot_id_depots")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_depot_staff_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_depot_staff")),
    )
    op.create_index(
        op.f("ix_depot_staff_depot_id"), "depot_staff", ["depot_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_depot_staff_depot_id"), table_name="depot_staff")
    op.drop_table("depot_staff")
