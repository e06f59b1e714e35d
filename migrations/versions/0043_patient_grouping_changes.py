"""What the follow-up report groups patients by: a log of its changes, so its
kept figures are not thrown away when a patient's phone changes.

Reviewed by hand (issue 19):
- New table patient_grouping_changes (id): one row per transaction that
  changes a patient's birth date (age group) or diabetes type, the only
  patient data the report's figures are grouped by. Written by a trigger on
  patients, so every writer obeys it: the ORM, core UPDATEs, imports, psql.
  On PostgreSQL a row trigger with a WHEN on the two columns (PostgreSQL takes
  no transition tables for a trigger with a column list), noting the writing
  transaction's id once (ON CONFLICT DO NOTHING); on SQLite one row per
  patient row changed.
- The report's kept figures (`followup.stored_figures`) were good until the
  last change to any patient (max(patients.updated_at)): a phone number or
  e-mail changed at a reorder, a new patient, a portal login made, anywhere in
  the region. At a region's size that happens many times a day, and the
  next report then computed its figures again (bench/followup.py at 500,000
  patients: 2.5 s for the region's page, 0.43 s for a 25,000-patient
  clinic's, against 0.30 s and 0.08 s kept). Now they are good until a run
  finishes or the number of these rows moves. Nightly `prune_data_changes`
  empties this log too, and adds what it emptied to a count in data_versions
  ('grouping_changes_pruned') in the same transaction: the sum stays, so the
  figures the nightly run warmed stay kept through the prune. A count, not a largest
  timestamp: a transaction that stamped an earlier time can commit after a
  report read a later one, and its change would never be seen.
- Nothing is backfilled (no row means no change since the upgrade). The
  report's kept figures are emptied (a cache: computed again once, or warmed
  by the next run), both ways: the downgrade also removes the prune's count,
  so an upgrade later starts from nothing kept rather than from a count that
  could meet an old token again. Downgrade drops the trigger and the table.

Revision ID: 0043_patient_grouping_changes
Revises: 0042_stocked_lots_index
Create Date: 2026-12-06 10:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043_patient_grouping_changes"
down_revision = "0042_stocked_lots_index"
branch_labels = None
depends_on = None

# What the report groups patients by (`followup.summaries.base_rows`).
GROUPED_BY = ("birth_date", "diabetes_type")
TRIGGER = "patients_grouping_changed"
FUNCTION = "note_patient_grouping_change"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def changed(distinct: str) -> str:
    """The trigger's condition: one of the columns differs (`distinct` is the
    dialect's null-safe "differs")."""
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in GROUPED_BY)


def upgrade():
    op.execute("DELETE FROM followup_report_figures")
    op.create_table(
        "patient_grouping_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_grouping_changes")),
    )
    columns = ", ".join(GROUPED_BY)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO patient_grouping_changes (id) VALUES (txid_current())
                ON CONFLICT (id) DO NOTHING;
                RETURN NULL;
            END;
            $$
        """)
        op.execute(f"""
            CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {columns} ON patients
            FOR EACH ROW WHEN ({changed("IS DISTINCT FROM")})
            EXECUTE FUNCTION {FUNCTION}()
        """)
    else:
        # SQLite takes no DEFAULT VALUES in a trigger; a NULL key is the next rowid.
        op.execute(f"""
            CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {columns} ON patients
            WHEN {changed("IS NOT")}
            BEGIN INSERT INTO patient_grouping_changes (id) VALUES (NULL); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON patients")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    op.drop_table("patient_grouping_changes")
    op.execute("DELETE FROM data_versions WHERE name = 'grouping_changes_pruned'")
    op.execute("DELETE FROM followup_report_figures")
