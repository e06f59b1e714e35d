"""The region's pseudonyms stored beside the patients, to look a patient up by
the pseudonym in a URL.

Reviewed by hand:
- New table patient_pseudonyms (patient_id primary key, references patients
  with ON DELETE CASCADE; pseudonym String(14) with a plain index: 12
  hexadecimal digits may, rarely, name two patients, so not unique).
- Filled here for every patient with `pseudonym.pseudonym` under the app's
  PSEUDONYM_KEY (else SECRET_KEY), 10,000 at a time: the same keys the pages
  and exports show. At 500,000 patients about 2 s of hashing and one insert
  per chunk. Patients made later get theirs when a key is not found
  (`pseudonym.patient_id_of`: those without one, by an anti-join); the demo's
  bulk writer writes its own.
- Downgrade drops the table.

Revision ID: 0049_patient_pseudonyms
Revises: 0048_swedish_collation
Create Date: 2026-12-08 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0049_patient_pseudonyms"
down_revision = "0048_swedish_collation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_pseudonyms",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=14), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    op.create_index(
        "ix_patient_pseudonyms_pseudonym", "patient_pseudonyms", ["pseudonym"]
    )
    from sesamlike.patients.pseudonym import store_all

    store_all(op.get_bind())


def downgrade():
    op.drop_index("ix_patient_pseudonyms_pseudonym", table_name="patient_pseudonyms")
    op.drop_table("patient_pseudonyms")
