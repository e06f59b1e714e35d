"""Data versions as a log the writers only add to, never a row they lock.

Reviewed by hand (issue 19):
- 0024 kept one counter row per patient (and one for the catalogue) that the
  triggers raised with an upsert. The row stayed locked until the writer's
  commit, so two transactions that wrote rows of the same patient met at its
  counter: a supplier import that had bumped patient A and then waited for A's
  prescription (giving back a cancelled line) deadlocked with a reorder that
  had locked that prescription and waited for A's counter; a portal reorder
  waited for any import of the patient's lines to commit. Neither met before.
- Now the same triggers add a row: patient_data_changes (id, patient_id), one
  per patient a statement touched (PostgreSQL, from the transition tables) or
  per row (SQLite), and catalogue_changes (id), one per transaction that
  writes articles (its transaction id; SQLite: one per row). Every portal view
  counts the catalogue's rows, and an import writes its articles one
  statement each.
  Inserting a new row locks nothing another writer waits for.
- A version is now the number of such rows: every committed writer adds at
  least one, and between two prunes nothing removes one, so the number moves
  with every commit (a largest id would not: a transaction holding a smaller
  id can commit after a reader saw a larger one).
- `prune_data_changes` (nightly) deletes the rows and raises
  data_versions 'pruned' in the same transaction; a kept page's key holds
  that generation too, so the numbers starting again from 0 match no old key.
- No foreign key to patients: its check would lock the patient row (FOR KEY
  SHARE) on every write; a deleted patient's ids go with the next prune.
- patient_data_versions and the 'articles' counter go. Kept pages live in
  the workers' memory only: restart the app with the upgrade (as always).
- The trigger and function names stay those of 0024 (`demo generate` drops
  and makes them again around a one-transaction load, by name). On
  PostgreSQL only the functions are replaced; SQLite's row triggers, whose
  bodies are the statements, are made again.

Revision ID: 0025_data_changes_log
Revises: 0024_patient_data_versions
Create Date: 2026-12-03 14:40:00

"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_data_changes_log"
down_revision = "0024_patient_data_versions"
branch_labels = None
depends_on = None

PATIENT_TABLES = ("prescriptions", "orders", "order_lines", "devices")
EVENTS = ("insert", "update", "delete")
# One row per writing transaction (its id), however many articles it writes:
# every portal view counts these rows.
NOTE_CATALOGUE = (
    "INSERT INTO catalogue_changes (id) VALUES (txid_current()) "
    "ON CONFLICT (id) DO NOTHING"
)
# SQLite takes no DEFAULT VALUES in a trigger; a NULL key is the next rowid.
NOTE_CATALOGUE_SQLITE = "INSERT INTO catalogue_changes (id) VALUES (NULL)"
SUSPENDED = (
    "coalesce(current_setting('sesamlike.data_versions_suspended', true), '') = 'on'"
)
WHEN_ON = "WHEN NOT EXISTS (SELECT 1 FROM data_versions WHERE name = 'suspended')"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "patient_data_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_data_changes")),
    )
    op.create_index(
        op.f("ix_patient_data_changes_patient_id"),
        "patient_data_changes",
        ["patient_id"],
    )
    op.create_table(
        "catalogue_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_changes")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_functions()
    else:
        _drop_triggers()
        _sqlite_triggers()
    op.drop_table("patient_data_versions")
    op.execute("DELETE FROM data_versions WHERE name = 'articles'")


def _drop_triggers():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in PATIENT_TABLES:
        for event in EVENTS:
            on = f" ON {table}" if postgresql else ""
            op.execute(f"DROP TRIGGER {table}_bump_{event}{on}")
    if postgresql:
        op.execute("DROP TRIGGER articles_bump ON articles")
        for name in ("new", "old", "both"):
            op.execute(f"DROP FUNCTION bump_patient_data_versions_{name}()")
        op.execute("DROP FUNCTION bump_catalogue_version()")
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER articles_bump_{event}")


def _postgresql_functions():
    """The triggers stay (0024's, by name): only what their functions do changes."""
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
                INSERT INTO patient_data_changes (patient_id)
                SELECT DISTINCT patient_id FROM ({rows}) AS changed
                WHERE patient_id IS NOT NULL;
                RETURN NULL;
            END;
            $$
        """)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION bump_catalogue_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF {SUSPENDED} THEN
                RETURN NULL;
            END IF;
            {NOTE_CATALOGUE};
            RETURN NULL;
        END;
        $$
    """)


def _note(*rows: str) -> str:
    # UNION: an update that keeps the patient notes them once.
    selects = " UNION ".join(
        f"SELECT {row}.patient_id WHERE {row}.patient_id IS NOT NULL" for row in rows
    )
    return f"INSERT INTO patient_data_changes (patient_id) {selects};"


def _sqlite_triggers():
    for table in PATIENT_TABLES:
        for event, rows in (
            ("insert", ("NEW",)),
            ("update", ("OLD", "NEW")),
            ("delete", ("OLD",)),
        ):
            op.execute(f"""
                CREATE TRIGGER {table}_bump_{event} AFTER {event.upper()} ON {table}
                {WHEN_ON} BEGIN {_note(*rows)} END
            """)
    for event in EVENTS:
        op.execute(f"""
            CREATE TRIGGER articles_bump_{event} AFTER {event.upper()} ON articles
            {WHEN_ON} BEGIN {NOTE_CATALOGUE_SQLITE}; END
        """)


def _revision_0024():
    path = Path(__file__).with_name("0024_patient_data_versions.py")
    spec = importlib.util.spec_from_file_location("revision_0024", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade():
    previous = _revision_0024()
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
    _drop_triggers()
    if op.get_bind().dialect.name == "postgresql":
        previous._postgresql_triggers()
    else:
        previous._sqlite_triggers()
    op.execute("DELETE FROM data_versions WHERE name = 'pruned'")
    op.drop_table("catalogue_changes")
    op.drop_index(
        op.f("ix_patient_data_changes_patient_id"), table_name="patient_data_changes"
    )
    op.drop_table("patient_data_changes")
