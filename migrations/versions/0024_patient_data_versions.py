"""Patients' data versions: a counter the database bumps on every change of what
the portal shows a patient, so a built "my aids" page can be kept until it moves.

Reviewed by hand (issue 19):
- patient_data_versions (patient_id, version): raised by one whenever a row of
  the patient's prescriptions, orders, order lines or lent devices is
  inserted, updated or deleted, in the same transaction. A device moving
  between patients (a return) bumps both. No row means "never changed" (0):
  the first bump makes it (an upsert), and existing patients start without.
  A table of its own rather than a column of patients: a bump writes a narrow
  row (patients' rows are wide, read by every page and report, and indexed
  five times) and locks it, not the patient record.
- data_versions (name, version): one counter for data every patient's page
  shows, today the catalogue ('articles': names, numbers, categories). Bumped
  by any change of articles, made by the first bump likewise.
- The bumps are triggers, not application code, so every writer obeys them:
  the ORM, core UPDATEs of jobs and imports, psql. On PostgreSQL they are
  statement-level with transition tables (one upsert of the patients a
  statement touched, however many rows it wrote, in patient order); SQLite
  has row triggers only. The counter rows stay locked until the commit: two
  transactions writing rows of the same patient now wait for each other at
  its counter, and two that bump the same two patients in opposite order
  across statements (jobs updating line by line) can deadlock, where before
  they met only if they wrote the same rows. PostgreSQL then aborts one.
- `demo generate` writes rows only for patients it creates in the same run
  and leaves the bumps out for its own transaction (`common.data_versions`):
  on PostgreSQL a one-transaction load drops the triggers and makes them again
  at the end (a statement trigger that does nothing still has PostgreSQL keep
  its transition table: a fifth more time for a COPY), a chunked one sets
  `SET LOCAL sesamlike.data_versions_suspended`; on SQLite a row 'suspended'
  in data_versions, deleted before the commit. All end with the transaction,
  so a failed load leaves nothing off.

Revision ID: 0024_patient_data_versions
Revises: 0023_prescriptions_patient_payer
Create Date: 2026-12-03 11:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_patient_data_versions"
down_revision = "0023_prescriptions_patient_payer"
branch_labels = None
depends_on = None

PATIENT_TABLES = ("prescriptions", "orders", "order_lines", "devices")
BUMP_CATALOGUE = (
    "INSERT INTO data_versions (name, version) VALUES ('articles', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1"
)
BUMP_PATIENT = (
    "ON CONFLICT (patient_id) "
    "DO UPDATE SET version = patient_data_versions.version + 1"
)

SUSPENDED = (
    "coalesce(current_setting('sesamlike.data_versions_suspended', true), '') = 'on'"
)
# SQLite: a row 'suspended', written and deleted inside the suspending transaction.
WHEN_ON = "WHEN NOT EXISTS (SELECT 1 FROM data_versions WHERE name = 'suspended')"


def upgrade():
    op.create_table(
        "patient_data_versions",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_data_versions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_data_versions")),
    )
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers():
    for name, rows in (
        ("new", "SELECT patient_id FROM new_rows"),
        ("old", "SELECT patient_id FROM old_rows"),
        ("both", "SELECT patient_id FROM old_rows UNION SELECT patient_id FROM new_rows"),
    ):
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bump_patient_data_versions_{name}()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {SUSPENDED} THEN
                    RETURN NULL;
                END IF;
                INSERT INTO patient_data_versions (patient_id, version)
                SELECT DISTINCT patient_id, 1 FROM ({rows}) AS changed
                WHERE patient_id IS NOT NULL
                ORDER BY patient_id
                {BUMP_PATIENT};
                RETURN NULL;
            END;
            $$
        """)
    for table in PATIENT_TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_bump_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION bump_patient_data_versions_new()
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_bump_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION bump_patient_data_versions_both()
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_bump_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION bump_patient_data_versions_old()
        """)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION bump_catalogue_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF {SUSPENDED} THEN
                RETURN NULL;
            END IF;
            {BUMP_CATALOGUE};
            RETURN NULL;
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER articles_bump AFTER INSERT OR UPDATE OR DELETE ON articles
        FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()
    """)


def _bump(row: str) -> str:
    # SQLite's upsert from a SELECT needs its WHERE (else ON reads as a join's).
    return (
        f"INSERT INTO patient_data_versions (patient_id, version) "
        f"SELECT {row}.patient_id, 1 WHERE {row}.patient_id IS NOT NULL "
        f"{BUMP_PATIENT};"
    )


def _sqlite_triggers():
    for table in PATIENT_TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_bump_insert AFTER INSERT ON {table}
            {WHEN_ON} BEGIN {_bump("NEW")} END
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_bump_update AFTER UPDATE ON {table}
            {WHEN_ON} BEGIN {_bump("OLD")} {_bump("NEW")} END
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_bump_delete AFTER DELETE ON {table}
            {WHEN_ON} BEGIN {_bump("OLD")} END
        """)
    for event in ("insert", "update", "delete"):
        op.execute(f"""
            CREATE TRIGGER articles_bump_{event} AFTER {event.upper()} ON articles
            {WHEN_ON} BEGIN {BUMP_CATALOGUE}; END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in PATIENT_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_bump_{event} ON {table}")
        op.execute("DROP TRIGGER articles_bump ON articles")
        for name in ("new", "old", "both"):
            op.execute(f"DROP FUNCTION bump_patient_data_versions_{name}()")
        op.execute("DROP FUNCTION bump_catalogue_version()")
    else:
        for table in PATIENT_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_bump_{event}")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER articles_bump_{event}")
    op.drop_table("data_versions")
    op.drop_table("patient_data_versions")
