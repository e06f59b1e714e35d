"""Patient search ignores case and diacritics: a folded name column, backfilled.

Reviewed by hand: one column, `search_name`, NOT NULL with an empty default so
it can be added to a filled table on SQLite and PostgreSQL alike. The backfill
folds every existing patient's "first last" name with the same function the
model uses for new rows (`sesamlike.common.text.fold`), in batches by id.
No index: search matches the start of any word, which a B-tree cannot serve.

Revision ID: 0013_patient_search_name
Revises: 0012_fhir_bulk_exports
Create Date: 2026-12-01 22:00:00

"""

from alembic import op
import sqlalchemy as sa

from sesamlike.common.text import fold


# revision identifiers, used by Alembic.
revision = "0013_patient_search_name"
down_revision = "0012_fhir_bulk_exports"
branch_labels = None
depends_on = None

BATCH = 1000
LENGTH = 170


def upgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "search_name",
                sa.String(length=LENGTH),
                server_default="",
                nullable=False,
            )
        )
    patients = sa.table(
        "patients",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("search_name", sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(patients.c.id, patients.c.first_name, patients.c.last_name)
            .where(patients.c.id > last_id)
            .order_by(patients.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            patients.update()
            .where(patients.c.id == sa.bindparam("row_id"))
            .values(search_name=sa.bindparam("folded")),
            [
                {
                    "row_id": row.id,
                    "folded": fold(f"{row.first_name} {row.last_name}")[:LENGTH],
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("search_name")
