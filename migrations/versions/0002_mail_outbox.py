"""Mail outbox: notices queued in a table, sent by the sender job.

Reviewed by hand: the kind check carries MailKind's values; dedupe_key is unique so a
repeated job run never queues a notice twice; patient_id has no foreign key (like
audit_events) so a mail record outlives the patient row; the two-column index serves
the sender's "unsent and due" query, claim_token its read-back of claimed rows.

Revision ID: 0002_mail_outbox
Revises: 0001_initial
Create Date: 2026-11-23 18:01:40.841662

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_mail_outbox'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind in ('order_received','order_shipped','order_delivered','runout_reminder','time_lock_open','prescription_low','prescription_expiring')", name=op.f('ck_outgoing_mails_kind_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outgoing_mails_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mails')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outgoing_mails_dedupe_key'))
    )
    with op.batch_alter_table('outgoing_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mails_claim_token'), ['claim_token'], unique=False)
        batch_op.create_index('ix_outgoing_mails_due', ['sent_at', 'send_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mails_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mails_patient_id'), ['patient_id'], unique=False)


def downgrade():
    # Dropping the table drops its indexes on both SQLite and PostgreSQL.
    op.drop_table('outgoing_mails')
