"""Follow-up that tells the truth: warranty chains, the paying clinic of imported
history, and the pump and CGM parts of each patient-year.

Reviewed by hand (issue 16):
- order_lines.amortised_line_id: for a warranty replacement, the first line of
  its chain of replacements (the device the region paid for); its amortisation
  period and daily rate continue on the replacement. NULL on other lines.
  Backfilled from replaces_line_id, a chain at a time (a few passes).
- order_lines.cost_clinic_id, order_lines.cost_centre: who pays a line without a
  prescription (imported history): the patient's clinic when it was imported.
  Lines with a prescription are paid by the prescription's clinic and cost
  centre, read from it. Backfilled with the patient's first care relationship
  still active (the nearest to "when imported" this database can tell).
- patient_year_costs.pump_part_sek, cgm_part_sek: the pump system's own cost
  (TLV's comparable figure) and the CGM part. NULL on existing rows: the rules'
  fingerprint changes with this revision, so the next run is full and fills them.

Revision ID: 0018_followup_true_costs
Revises: 0017_password_links
Create Date: 2026-12-02 01:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_followup_true_costs"
down_revision = "0017_password_links"
branch_labels = None
depends_on = None

MAX_CHAIN = 50  # replacements of replacements: far more than any device sees


def upgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amortised_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cost_clinic_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cost_centre", sa.String(20), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_order_lines_amortised_line_id"), ["amortised_line_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_order_lines_cost_clinic_id"), ["cost_clinic_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_amortised_line_id_order_lines"),
            "order_lines",
            ["amortised_line_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_cost_clinic_id_clinics"),
            "clinics",
            ["cost_clinic_id"],
            ["id"],
        )
    with op.batch_alter_table("patient_year_costs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pump_part_sek", sa.Numeric(12, 2), nullable=True)
        )
        batch_op.add_column(sa.Column("cgm_part_sek", sa.Numeric(12, 2), nullable=True))
    op.execute(
        "UPDATE order_lines SET amortised_line_id = replaces_line_id "
        "WHERE replaces_line_id IS NOT NULL"
    )
    for _ in range(MAX_CHAIN):  # follow each chain back to its first line
        done = op.get_bind().execute(
            sa.text(
                "UPDATE order_lines SET amortised_line_id = ("
                " SELECT up.replaces_line_id FROM order_lines up"
                " WHERE up.id = order_lines.amortised_line_id) "
                "WHERE amortised_line_id IN ("
                " SELECT id FROM order_lines WHERE replaces_line_id IS NOT NULL)"
            )
        )
        if not done.rowcount:
            break
    op.execute(
        """
        UPDATE order_lines SET
          cost_clinic_id = (
            SELECT cr.clinic_id FROM care_relationships cr
            JOIN orders o ON o.patient_id = cr.patient_id
            WHERE o.id = order_lines.order_id AND cr.ended_on IS NULL
            ORDER BY cr.id LIMIT 1),
          cost_centre = (
            SELECT c.cost_centre FROM care_relationships cr
            JOIN orders o ON o.patient_id = cr.patient_id
            JOIN clinics c ON c.id = cr.clinic_id
            WHERE o.id = order_lines.order_id AND cr.ended_on IS NULL
            ORDER BY cr.id LIMIT 1)
        WHERE prescription_id IS NULL
        """
    )


def downgrade():
    with op.batch_alter_table("patient_year_costs", schema=None) as batch_op:
        batch_op.drop_column("cgm_part_sek")
        batch_op.drop_column("pump_part_sek")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_cost_clinic_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_amortised_line_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_cost_clinic_id_clinics"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_amortised_line_id_order_lines"),
            type_="foreignkey",
        )
        batch_op.drop_column("cost_centre")
        batch_op.drop_column("cost_clinic_id")
        batch_op.drop_column("amortised_line_id")
