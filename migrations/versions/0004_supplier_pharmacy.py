"""Supplier and pharmacy channels, purchase proposals and expiry flags.

Reviewed by hand. Additive only (new tables, nothing existing changes):
- supplier_exports: one supplier's order file of one day, unique per supplier and
  date, with the CSV text as first written so a re-export gives the same bytes.
- supplier_export_lines: the order lines in a file; order_line_id is unique, which
  is what keeps a line out of a second file; the supplier's reported status and
  tracking reference live here.
- pharmacy_prescriptions: one e-recept per pharmacy order line (unique), with the
  packs, the packs dispensed (checked to stay within the packs) and the period.
- pharmacy_dispensings: each dispensing with the order line that records its packs
  as delivered; unique per pharmacy and the pharmacy's own reference, so a file
  read twice records a dispensing once.
- reorder_points: one per depot and article; order_up_to must exceed the level.
- purchase_proposals: the partial unique index uq_purchase_proposals_open allows
  one open proposal per depot and article (SQLite and PostgreSQL both honour
  partial indexes); ordered, received and dismissed ones are history.
- lot_expiry_flags: one per lot (unique), set by the daily expiry check.
Downgrade drops these tables, children first.

Revision ID: 0004_supplier_pharmacy
Revises: 0003_stock_distribution
Create Date: 2026-11-23 18:26:50.007067

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_supplier_pharmacy'
down_revision = '0003_stock_distribution'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('purchase_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=120), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reorder_level', sa.Integer(), nullable=False),
    sa.Column('order_up_to', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status in ('open','ordered','received','dismissed')", name=op.f('ck_purchase_proposals_status_known')),
    sa.CheckConstraint('packs > 0', name=op.f('ck_purchase_proposals_packs_positive')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_purchase_proposals_article_id_articles')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_purchase_proposals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_purchase_proposals_depot_id_depots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_proposals'))
    )
    with op.batch_alter_table('purchase_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_proposals_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_proposals_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_proposals_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_proposals_status'), ['status'], unique=False)
        batch_op.create_index('uq_purchase_proposals_open', ['depot_id', 'article_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('reorder_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('reorder_level', sa.Integer(), nullable=False),
    sa.Column('order_up_to', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('order_up_to > reorder_level', name=op.f('ck_reorder_points_up_to_above_level')),
    sa.CheckConstraint('reorder_level >= 0', name=op.f('ck_reorder_points_level_not_negative')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_reorder_points_article_id_articles')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_reorder_points_depot_id_depots')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_reorder_points_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorder_points')),
    sa.UniqueConstraint('depot_id', 'article_id', name=op.f('uq_reorder_points_depot_id_article_id'))
    )
    with op.batch_alter_table('reorder_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reorder_points_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reorder_points_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reorder_points_updated_by_id'), ['updated_by_id'], unique=False)

    op.create_table('supplier_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=120), nullable=False),
    sa.Column('export_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supplier_exports_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_exports')),
    sa.UniqueConstraint('supplier', 'export_date', name=op.f('uq_supplier_exports_supplier_export_date'))
    )
    with op.batch_alter_table('supplier_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_exports_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_exports_export_date'), ['export_date'], unique=False)

    op.create_table('lot_expiry_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('flagged_on', sa.Date(), nullable=False),
    sa.Column('quarantined_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lots.id'], name=op.f('fk_lot_expiry_flags_lot_id_stock_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_expiry_flags')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_lot_expiry_flags_lot_id'))
    )
    op.create_table('pharmacy_prescriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('packs_dispensed', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('open','partly_dispensed','dispensed')", name=op.f('ck_pharmacy_prescriptions_status_known')),
    sa.CheckConstraint('packs > 0', name=op.f('ck_pharmacy_prescriptions_packs_positive')),
    sa.CheckConstraint('packs_dispensed >= 0 and packs_dispensed <= packs', name=op.f('ck_pharmacy_prescriptions_dispensed_within_packs')),
    sa.CheckConstraint('valid_from <= valid_to', name=op.f('ck_pharmacy_prescriptions_valid_period')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_pharmacy_prescriptions_article_id_articles')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_pharmacy_prescriptions_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pharmacy_prescriptions_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_prescriptions')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_pharmacy_prescriptions_order_line_id'))
    )
    with op.batch_alter_table('pharmacy_prescriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pharmacy_prescriptions_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pharmacy_prescriptions_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pharmacy_prescriptions_status'), ['status'], unique=False)

    op.create_table('supplier_export_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('supplier_status', sa.String(length=12), nullable=False),
    sa.Column('tracking_ref', sa.String(length=80), nullable=True),
    sa.Column('status_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("supplier_status in ('sent','confirmed','shipped','delivered','cancelled')", name=op.f('ck_supplier_export_lines_supplier_status_known')),
    sa.ForeignKeyConstraint(['export_id'], ['supplier_exports.id'], name=op.f('fk_supplier_export_lines_export_id_supplier_exports')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_supplier_export_lines_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_export_lines')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_supplier_export_lines_order_line_id'))
    )
    with op.batch_alter_table('supplier_export_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_export_lines_export_id'), ['export_id'], unique=False)

    op.create_table('pharmacy_dispensings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pharmacy_prescription_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('dispensing_ref', sa.String(length=40), nullable=False),
    sa.Column('pharmacy_id', sa.String(length=20), nullable=False),
    sa.Column('pharmacy_name', sa.String(length=120), nullable=False),
    sa.Column('dispensed_on', sa.Date(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('packs > 0', name=op.f('ck_pharmacy_dispensings_packs_positive')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_pharmacy_dispensings_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['pharmacy_prescription_id'], ['pharmacy_prescriptions.id'], name=op.f('fk_pharmacy_dispensings_pharmacy_prescription_id_pharmacy_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pharmacy_dispensings')),
    sa.UniqueConstraint('pharmacy_id', 'dispensing_ref', name=op.f('uq_pharmacy_dispensings_pharmacy_id_dispensing_ref'))
    )
    with op.batch_alter_table('pharmacy_dispensings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pharmacy_dispensings_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pharmacy_dispensings_pharmacy_prescription_id'), ['pharmacy_prescription_id'], unique=False)



def downgrade():
    with op.batch_alter_table('pharmacy_dispensings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pharmacy_dispensings_pharmacy_prescription_id'))
        batch_op.drop_index(batch_op.f('ix_pharmacy_dispensings_order_line_id'))

    op.drop_table('pharmacy_dispensings')
    with op.batch_alter_table('supplier_export_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_export_lines_export_id'))

    op.drop_table('supplier_export_lines')
    with op.batch_alter_table('pharmacy_prescriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pharmacy_prescriptions_status'))
        batch_op.drop_index(batch_op.f('ix_pharmacy_prescriptions_patient_id'))
        batch_op.drop_index(batch_op.f('ix_pharmacy_prescriptions_article_id'))

    op.drop_table('pharmacy_prescriptions')
    op.drop_table('lot_expiry_flags')
    with op.batch_alter_table('supplier_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_exports_export_date'))
        batch_op.drop_index(batch_op.f('ix_supplier_exports_created_by_id'))

    op.drop_table('supplier_exports')
    with op.batch_alter_table('reorder_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reorder_points_updated_by_id'))
        batch_op.drop_index(batch_op.f('ix_reorder_points_depot_id'))
        batch_op.drop_index(batch_op.f('ix_reorder_points_article_id'))

    op.drop_table('reorder_points')
    with op.batch_alter_table('purchase_proposals', schema=None) as batch_op:
        batch_op.drop_index('uq_purchase_proposals_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_purchase_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_purchase_proposals_depot_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_proposals_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_proposals_article_id'))

    op.drop_table('purchase_proposals')
