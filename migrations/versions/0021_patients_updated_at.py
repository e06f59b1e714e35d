"""Patients: an index on updated_at.

Reviewed by hand (issue 19):
- ix_patients_updated_at: the report's kept figures (`stored_figures`) check
  the patients' last change, max(updated_at), on every report request; with
  the index that reads one entry instead of every patient (about 50 ms at
  500,000 patients). On PostgreSQL built CONCURRENTLY would not block
  writes, but Alembic runs in a transaction; at 500,000 rows the build takes
  about a second.

Revision ID: 0021_patients_updated_at
Revises: 0020_reports_figures
Create Date: 2026-12-02 08:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_patients_updated_at"
down_revision = "0020_reports_figures"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f("ix_patients_updated_at"), "patients", ["updated_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_patients_updated_at"), table_name="patients")
