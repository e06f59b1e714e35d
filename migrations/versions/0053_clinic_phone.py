"""A clinic has a phone number, which patients and guardians read in the portal.

Reviewed by hand:
- clinics.phone (nullable, up to 30 characters, as a patient's phone): the
  number "Kontakta mottagningen" means. The region's administrator keeps it on
  the clinic's page (`patients.clinic_details`); the portal shows it under the
  clinic's name and address. NULL for every clinic until then: no number is
  made up.
- Added and dropped in place on SQLite as on PostgreSQL (ALTER TABLE ... ADD /
  DROP COLUMN): clinics has no triggers, and nothing refers to the column.

Revision ID: 0053_clinic_phone
Revises: 0052_prescription_taken_over_by
Create Date: 2026-12-08 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0053_clinic_phone"
down_revision = "0052_prescription_taken_over_by"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("clinics", sa.Column("phone", sa.String(30), nullable=True))


def downgrade():
    op.drop_column("clinics", "phone")
