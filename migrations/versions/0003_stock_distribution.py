"""Stock distribution: shipments (partial, with tracking), replacement links, device lots.

Reviewed by hand. Additive only, so existing rows need no backfill:
- shipments: one parcel of an order with its tracking reference; an order shipped
  in parts has several. Deleting an order deletes its shipments (like its lines).
- order_lines.shipment_id: the parcel a line left in (null until shipped).
- order_lines.replaces_line_id: a replacement device line under warranty points at
  the line of the faulty device it replaces (no new withdrawal is taken).
- devices.lot_id: the lot a serial-numbered device was received into, so a
  reconditioned device goes back to it; devices.serial_no gets an index because
  returns are looked up by serial number alone.
Downgrade drops exactly these; batch mode keeps SQLite's table rebuilds correct.

Revision ID: 0003_stock_distribution
Revises: 0002_mail_outbox
Create Date: 2026-11-23 18:23:43.914730

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_stock_distribution'
down_revision = '0002_mail_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('tracking_ref', sa.String(length=80), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipped_by_id'], ['users.id'], name=op.f('fk_shipments_shipped_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_shipped_at'), ['shipped_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_shipped_by_id'), ['shipped_by_id'], unique=False)

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_devices_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_serial_no'), ['serial_no'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_devices_lot_id_stock_lots'), 'stock_lots', ['lot_id'], ['id'])

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces_line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_lines_replaces_line_id'), ['replaces_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_lines_replaces_line_id_order_lines'), 'order_lines', ['replaces_line_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_order_lines_shipment_id_shipments'), 'shipments', ['shipment_id'], ['id'])



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_lines_shipment_id_shipments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_order_lines_replaces_line_id_order_lines'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_lines_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_replaces_line_id'))
        batch_op.drop_column('replaces_line_id')
        batch_op.drop_column('shipment_id')

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_devices_lot_id_stock_lots'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_devices_serial_no'))
        batch_op.drop_index(batch_op.f('ix_devices_lot_id'))
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_shipped_by_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_shipped_at'))
        batch_op.drop_index(batch_op.f('ix_shipments_order_id'))

    op.drop_table('shipments')
