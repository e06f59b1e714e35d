"""Care relationships: a clinic's care of a patient in episodes, one open at a time.

Reviewed by hand:
- A clinic that took a patient back (care relationship ended, then started
  again) reused the ended row and overwrote its dates, so the earlier episode
  (which follow-up, audits and the access rules may need) was lost. Now every
  start adds a row (`patients.care.begin_episode`); an ended one keeps its
  started_on and ended_on.
- The unique constraint uq_care_relationships_patient_id_clinic_id (one row
  per patient and clinic) becomes uq_care_relationships_open: a unique index
  on (patient_id, clinic_id) over open relationships only (WHERE ended_on IS
  NULL), partial on both databases. It still refuses a second open care
  relationship of one clinic, also from two starts at the same moment.
  ix_care_relationships_patient_id and _clinic_id stay as they are.
- SQLite cannot drop a table constraint: batch mode copies care_relationships
  (no triggers on it; nothing refers to it). PostgreSQL drops the constraint
  in place.
- Downgrade refuses while a patient has more than one episode at one clinic:
  the old constraint allows one row per pair, and merging the episodes would
  lose the history this revision exists to keep. Such rows must be resolved by
  hand first (the error names how many pairs).

Revision ID: 0034_care_relationship_episodes
Revises: 0033_job_runs_partial
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034_care_relationship_episodes"
down_revision = "0033_job_runs_partial"
branch_labels = None
depends_on = None

TABLE = "care_relationships"
INDEX = "uq_care_relationships_open"
CONSTRAINT = "uq_care_relationships_patient_id_clinic_id"
OPEN = sa.text("ended_on IS NULL")


def upgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(CONSTRAINT, type_="unique")
    op.create_index(
        INDEX,
        TABLE,
        ["patient_id", "clinic_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    repeated = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT patient_id, clinic_id FROM care_relationships"
            " GROUP BY patient_id, clinic_id HAVING count(*) > 1) AS pairs"
        )
    )
    if repeated:
        raise RuntimeError(
            f"{repeated} patient and clinic pairs have more than one care "
            "relationship episode; the earlier schema keeps one row per pair. "
            "Resolve them by hand before downgrading (merging would lose history)."
        )
    op.drop_index(INDEX, table_name=TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_unique_constraint(CONSTRAINT, ["patient_id", "clinic_id"])
