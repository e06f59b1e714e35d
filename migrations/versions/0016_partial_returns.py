"""Partial returns of a line: packs back, and how many of them went back on stock.

Reviewed by hand (issue 16, follow-up that tells the truth; issue 18, depot work):
- order_lines.packs_returned: packs of the line that came back (0 .. packs).
- order_lines.packs_restocked: of those, packs put back on stock for another patient
  (0 .. packs_returned). A consumable line costs (packs - packs_restocked) x price;
  packs returned and scrapped still cost.
- Backfill: a consumable line that came back before this revision came back whole and
  unused (the depot's 14-day return and the history import's `returned_on` both mean
  that), so it gets packs_returned = packs_restocked = packs. Device lines keep 0: a
  device's return ends its days; it is not a pack put back on stock.

Revision ID: 0016_partial_returns
Revises: 0015_sessions_and_tokens
Create Date: 2026-12-02 01:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_partial_returns"
down_revision = "0015_sessions_and_tokens"
branch_labels = None
depends_on = None

RANGE = (
    "packs_restocked >= 0 AND packs_restocked <= packs_returned AND packs_returned <= packs"
)


def upgrade():
    op.add_column(
        "order_lines",
        sa.Column("packs_returned", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "order_lines",
        sa.Column("packs_restocked", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name != "sqlite":
        # SQLite cannot add a table constraint without copying the table; the model
        # and the services keep the range there.
        op.create_check_constraint(
            op.f("ck_order_lines_returned_packs_in_range"),
            "order_lines",
            RANGE,
        )
    op.execute(
        """
        UPDATE order_lines SET packs_returned = packs, packs_restocked = packs
        WHERE returned_on IS NOT NULL
          AND article_id IN (SELECT id FROM articles WHERE amortisation_years IS NULL)
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("ck_order_lines_returned_packs_in_range"), "order_lines", type_="check"
        )
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("packs_restocked")
        batch.drop_column("packs_returned")
