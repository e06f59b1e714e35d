"""Follow-up: the report's figures of a scope and year, kept once computed.

Reviewed by hand (issue 19):
- followup_report_figures: one row per year, scope (the clinics in it) and
  high-cost line, with the JSON of the report's statistics and the token of
  the data they were computed from (the year's last finished run, the
  patients' count and last change). Derived and disposable: nothing is
  backfilled; the report fills a row the first time it is asked for after a
  run (PostgreSQL only).

Revision ID: 0020_reports_figures
Revises: 0019_followup_payers
Create Date: 2026-12-02 08:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_reports_figures"
down_revision = "0019_followup_payers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "followup_report_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_report_figures")),
        sa.UniqueConstraint("key", name=op.f("uq_followup_report_figures_key")),
    )


def downgrade():
    op.drop_table("followup_report_figures")
