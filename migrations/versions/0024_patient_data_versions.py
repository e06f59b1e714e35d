"""Patients' data versions: a counter the database bumps on every change of what
the portal shows a patient, so a built "my aids" page can be kept until it moves.

Reviewed by hand (issue 19):
- patients.data_version (BIGINT, 0 for every existing patient): raised by one
  whenever a row of the patient's prescriptions, orders, order lines or lent
  devices is inserted, updated or deleted, in the same transaction. A device
  moving between patients (a return) bumps both.
- data_versions (name, version): one counter for data every patient's page
  shows, today the catalogue ('articles': names, numbers, categories). Bumped
  by any change of articles; the row is made by the first bump (an upsert), so
  a missing row only means "never changed".
- The bumps are triggers, not application code, so every writer obeys them:
  the ORM, core UPDATEs of jobs and imports, psql. On PostgreSQL they are
  statement-level with transition tables (one UPDATE of the patients a
  statement touched, however many rows it wrote); SQLite has row triggers
  only. The bump takes the patient rows' locks (in id order) until the
  commit, as placing an order already does with the prescription's.
- `demo generate` writes rows only for patients it creates in the same run
  and suspends the bumps for its own transaction (`common.data_versions.
  suspended`): on PostgreSQL `SET LOCAL sesamlike.data_versions_suspended`,
  on SQLite a row 'suspended' in data_versions that it deletes before its
  commit. Both end with the transaction, so a failed load leaves nothing off.

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

SUSPENDED = (
    "coalesce(current_setting('sesamlike.data_versions_suspended', true), '') = 'on'"
)
# SQLite: a row 'suspended', written and deleted inside the suspending transaction.
WHEN_ON = "WHEN NOT EXISTS (SELECT 1 FROM data_versions WHERE name = 'suspended')"


def upgrade():
    op.add_column(
        "patients",
        sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False),
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
            CREATE OR REPLACE FUNCTION bump_patient_data_versions_{name}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF {SUSPENDED} THEN
                    RETURN NULL;
                END IF;
                -- Locked in id order: two statements bumping the same
                -- patients never wait for each other crosswise.
                UPDATE patients SET data_version = data_version + 1
                WHERE id IN (
                    SELECT id FROM patients WHERE id IN ({rows})
                    ORDER BY id FOR NO KEY UPDATE
                );
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
    return (
        f"UPDATE patients SET data_version = data_version + 1 "
        f"WHERE id = {row}.patient_id;"
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
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("data_version")
