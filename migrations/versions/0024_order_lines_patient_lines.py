"""Order lines: the patient index carries what the follow-up reads of a line.

Reviewed by hand (issue 19):
- ix_order_lines_patient_id_delivered_on keeps its key (patient_id,
  delivered_on) and, on PostgreSQL, INCLUDEs every other column of a line the
  follow-up's cost rules read (as orders.models.PATIENT_LINE_COLUMNS lists
  them). An incremental run reads its few patients' lines of every year in
  use from the index's leaf pages (a patient's lines side by side) instead of
  one scattered table row per line, the earlier years' consumables included,
  which are read only to be left out. Every search by patient (and the
  patients' foreign key) still finds its lines by the same key. The index
  grows to about four fifths of the table (100,000 patients x 2: 23 MB ->
  108 MB, the lines 135 MB); every line written already wrote an entry
  into it.
- The lines' pages must be marked all-visible (VACUUM, which autovacuum does)
  for the index alone to answer; a line written since is read from the table.
- SQLite has no INCLUDE: the index stays (patient_id, delivered_on).

Revision ID: 0024_order_lines_patient_lines
Revises: 0023_prescriptions_patient_payer
Create Date: 2026-12-03 09:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_order_lines_patient_lines"
down_revision = "0023_prescriptions_patient_payer"
branch_labels = None
depends_on = None

INDEX = "ix_order_lines_patient_id_delivered_on"
# What the index carries beside its key (as the model says).
INCLUDED = ["id", "article_id", "status", "packs", "packs_restocked",
            "pack_price_sek", "channel", "vat_rate", "returned_on",
            "amortised_line_id", "replaces_line_id", "prescription_id",
            "cost_clinic_id", "cost_centre"]  # fmt: skip


def _remake(include: list[str]) -> None:
    op.drop_index(INDEX, table_name="order_lines")
    op.create_index(INDEX, "order_lines", ["patient_id", "delivered_on"],
                    unique=False, postgresql_include=include)  # fmt: skip


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _remake(INCLUDED)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _remake([])
