"""Order lines: the patient, beside the order, and an index by patient and day.

Reviewed by hand (issue 19):
- order_lines.patient_id: the patient of the line's order (an order never
  changes patient). The follow-up reads a year's lines grouped by patient:
  with the patient on the line it no longer joins every line to its order
  (a full run), and an incremental run finds its few patients' lines by one
  probe each of the index below instead of one per order of every year
  (500,000 patients x 5 years: 17 orders a patient).
  Backfilled from orders, then NOT NULL; every writer sets it (the ORM from the
  line's order, `orders.models`; the bulk writers of history and `demo
  generate` in their rows).
- ix_order_lines_patient_id_delivered_on: a patient's lines in delivery order.
  Also serves the foreign key (deleting a patient).

On PostgreSQL the backfill writes every line once more: a large region should
run `VACUUM FULL order_lines` (or pg_repack) afterwards, out of hours, to give
back the space of the old row versions. SQLite copies the table (batch mode).

Revision ID: 0022_order_lines_patient_id
Revises: 0021_patients_updated_at
Create Date: 2026-12-02 17:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_order_lines_patient_id"
down_revision = "0021_patients_updated_at"
branch_labels = None
depends_on = None

INDEX = "ix_order_lines_patient_id_delivered_on"


def upgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Every line gets a new row version, and with it an entry in each of
        # the table's indexes: made again after the UPDATE instead (one sorted
        # build each), the backfill of 11.6 million lines takes minutes, not
        # the quarter of an hour it took with the indexes in place.
        indexes = bind.execute(
            sa.text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = 'order_lines'::regclass AND NOT x.indisprimary "
                "AND NOT x.indisunique"
            )
        ).all()
        for name, _definition in indexes:
            op.execute(f'DROP INDEX "{name}"')
        op.execute(
            "UPDATE order_lines SET patient_id = orders.patient_id "
            "FROM orders WHERE orders.id = order_lines.order_id"
        )
        for _name, definition in indexes:
            op.execute(definition)
    else:
        op.execute(
            "UPDATE order_lines SET patient_id = ("
            " SELECT orders.patient_id FROM orders"
            " WHERE orders.id = order_lines.order_id)"
        )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_patient_id_patients"),
            "patients",
            ["patient_id"],
            ["id"],
        )
        batch_op.create_index(INDEX, ["patient_id", "delivered_on"], unique=False)


def downgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_patient_id_patients"), type_="foreignkey"
        )
        batch_op.drop_column("patient_id")
