"""Initial schema: accounts, catalogue, patients, orders, stock, follow-up, jobs.

Reviewed by hand: check constraints carry the enum values of the models, money is
Numeric(12, 2), every foreign key is indexed, naming follows extensions.Base.

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-23 17:53:40.301626

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_no', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('iso9999', sa.String(length=20), nullable=True),
    sa.Column('supplier', sa.String(length=120), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('pack_price_sek', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('procured', sa.Boolean(), nullable=False),
    sa.Column('first_choice_rank', sa.Integer(), nullable=True),
    sa.Column('benefit', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('serial_tracked', sa.Boolean(), nullable=False),
    sa.Column('units_per_day', sa.Numeric(precision=8, scale=4), nullable=True),
    sa.Column('amortisation_years', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint("category in ('pump','cgm_reader','cgm_transmitter','cgm_sensor','infusion_set','reservoir','pod','battery','accessory')", name=op.f('ck_articles_category_known')),
    sa.CheckConstraint("channel in ('central','supplier','pharmacy')", name=op.f('ck_articles_channel_known')),
    sa.CheckConstraint('pack_price_sek >= 0', name=op.f('ck_articles_price_not_negative')),
    sa.CheckConstraint('pack_size > 0', name=op.f('ck_articles_pack_size_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('article_no', name=op.f('uq_articles_article_no'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_gtin'), ['gtin'], unique=False)

    op.create_table('clinics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('cost_centre', sa.String(length=20), nullable=False),
    sa.Column('paediatric', sa.Boolean(), nullable=False),
    sa.Column('street', sa.String(length=120), nullable=True),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('city', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinics')),
    sa.UniqueConstraint('code', name=op.f('uq_clinics_code'))
    )
    op.create_table('depots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
    sa.UniqueConstraint('code', name=op.f('uq_depots_code'))
    )
    op.create_table('job_locks',
    sa.Column('job_name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job_name', name=op.f('pk_job_locks'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_name', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job_name'), ['job_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)

    op.create_table('systems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_systems')),
    sa.UniqueConstraint('name', name=op.f('uq_systems_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('first_time_prescriber', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role in ('prescriber','patient','guardian','depot','manager','region','admin')", name=op.f('ck_users_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('article_systems',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_systems_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_article_systems_system_id_systems')),
    sa.PrimaryKeyConstraint('article_id', 'system_id', name=op.f('pk_article_systems'))
    )
    with op.batch_alter_table('article_systems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_systems_system_id'), ['system_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_user_id'), ['user_id'], unique=False)

    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('personal_id', sa.String(length=20), nullable=False),
    sa.Column('id_kind', sa.String(length=20), nullable=False),
    sa.Column('lma_number', sa.String(length=20), nullable=True),
    sa.Column('lma_valid_to', sa.Date(), nullable=True),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('diabetes_type', sa.String(length=10), nullable=False),
    sa.Column('protected_identity', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("diabetes_type in ('type1','type2','other')", name=op.f('ck_patients_diabetes_type_known')),
    sa.CheckConstraint("id_kind in ('personnummer','samordningsnummer','reserve')", name=op.f('ck_patients_id_kind_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patients_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('personal_id', name=op.f('uq_patients_personal_id'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_last_first', ['last_name', 'first_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_patients_user_id'), ['user_id'], unique=True)

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('packs > 0', name=op.f('ck_reservations_packs_positive')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_reservations_article_id_articles')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_reservations_depot_id_depots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_status'), ['status'], unique=False)

    op.create_table('stock_lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('bin', sa.String(length=20), nullable=True),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Boolean(), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_lots_on_hand_not_negative')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_stock_lots_article_id_articles')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_stock_lots_depot_id_depots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lots')),
    sa.UniqueConstraint('depot_id', 'article_id', 'lot', name=op.f('uq_stock_lots_depot_id_article_id_lot'))
    )
    with op.batch_alter_table('stock_lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_lots_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lots_depot_id'), ['depot_id'], unique=False)

    op.create_table('user_clinics',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_user_clinics_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_clinics_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'clinic_id', name=op.f('pk_user_clinics'))
    )
    with op.batch_alter_table('user_clinics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_clinics_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('care_of', sa.String(length=120), nullable=True),
    sa.Column('street', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('door_code', sa.String(length=20), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint("kind in ('home','temporary')", name=op.f('ck_addresses_kind_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_addresses_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses'))
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addresses_patient_id'), ['patient_id'], unique=False)

    op.create_table('care_relationships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_care_relationships_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_care_relationships_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_relationships')),
    sa.UniqueConstraint('patient_id', 'clinic_id', name=op.f('uq_care_relationships_patient_id_clinic_id'))
    )
    with op.batch_alter_table('care_relationships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_relationships_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_relationships_patient_id'), ['patient_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('serial_no', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('lent_on', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('return_reason', sa.String(length=20), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status in ('in_stock','on_loan','quarantine','scrapped')", name=op.f('ck_devices_status_known')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_devices_article_id_articles')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_devices_depot_id_depots')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_devices_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('article_id', 'serial_no', name=op.f('uq_devices_article_id_serial_no'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_reference'), ['reference'], unique=False)

    op.create_table('guardians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_guardians_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_guardians_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardians')),
    sa.UniqueConstraint('patient_id', 'user_id', name=op.f('uq_guardians_patient_id_user_id'))
    )
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardians_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardians_user_id'), ['user_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('placed_by_role', sa.String(length=20), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_mode', sa.String(length=10), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('ship_to_name', sa.String(length=160), nullable=True),
    sa.Column('ship_to_street', sa.String(length=120), nullable=True),
    sa.Column('ship_to_postal_code', sa.String(length=10), nullable=True),
    sa.Column('ship_to_city', sa.String(length=80), nullable=True),
    sa.Column('ship_to_door_code', sa.String(length=20), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('tracking_ref', sa.String(length=80), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("delivery_mode in ('home','clinic','pickup','pharmacy')", name=op.f('ck_orders_delivery_mode_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_orders_patient_id_patients')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_orders_placed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('placed_by_id', 'idempotency_key', name=op.f('uq_orders_placed_by_id_idempotency_key'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_placed_at'), ['placed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_placed_by_id'), ['placed_by_id'], unique=False)

    op.create_table('patient_year_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('pump_system', sa.String(length=80), nullable=True),
    sa.Column('cgm_system', sa.String(length=80), nullable=True),
    sa.Column('device_cost_sek', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('consumables_cost_sek', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('total_cost_sek', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_year_costs_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_year_costs')),
    sa.UniqueConstraint('patient_id', 'year', name=op.f('uq_patient_year_costs_patient_id_year'))
    )
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_year_costs_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_year_costs_year'), ['year'], unique=False)

    op.create_table('prescriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('prescriber_id', sa.Integer(), nullable=True),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('cost_centre', sa.String(length=20), nullable=False),
    sa.Column('packs_per_withdrawal', sa.Integer(), nullable=False),
    sa.Column('withdrawals', sa.Integer(), nullable=False),
    sa.Column('withdrawals_used', sa.Integer(), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('lock_days', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('last_withdrawal_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason_code', sa.String(length=20), nullable=True),
    sa.Column('reason_text', sa.String(length=500), nullable=True),
    sa.Column('renewed_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status in ('active','expired','used_up','cancelled')", name=op.f('ck_prescriptions_status_known')),
    sa.CheckConstraint('packs_per_withdrawal > 0', name=op.f('ck_prescriptions_packs_positive')),
    sa.CheckConstraint('valid_from <= valid_to', name=op.f('ck_prescriptions_valid_period')),
    sa.CheckConstraint('withdrawals > 0', name=op.f('ck_prescriptions_withdrawals_positive')),
    sa.CheckConstraint('withdrawals_used >= 0 and withdrawals_used <= withdrawals', name=op.f('ck_prescriptions_within_entitlement')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_prescriptions_article_id_articles')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_prescriptions_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_prescriptions_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_prescriptions_patient_id_patients')),
    sa.ForeignKeyConstraint(['prescriber_id'], ['users.id'], name=op.f('fk_prescriptions_prescriber_id_users')),
    sa.ForeignKeyConstraint(['renewed_from_id'], ['prescriptions.id'], name=op.f('fk_prescriptions_renewed_from_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescriptions'))
    )
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prescriptions_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prescriptions_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prescriptions_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prescriptions_prescriber_id'), ['prescriber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prescriptions_renewed_from_id'), ['renewed_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prescriptions_status'), ['status'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=30), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_stock_movements_article_id_articles')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_stock_movements_depot_id_depots')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lots.id'], name=op.f('fk_stock_movements_lot_id_stock_lots')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_movements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_user_id'), ['user_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('prescription_id', sa.Integer(), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pack_price_sek', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('serial_no', sa.String(length=60), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel in ('central','supplier','pharmacy')", name=op.f('ck_order_lines_channel_known')),
    sa.CheckConstraint("status in ('reserved','backordered','sent_to_supplier','sent_to_pharmacy','shipped','delivered','cancelled','returned')", name=op.f('ck_order_lines_status_known')),
    sa.CheckConstraint('packs > 0', name=op.f('ck_order_lines_packs_positive')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_order_lines_article_id_articles')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_order_lines_prescription_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_delivered_on'), ['delivered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_prescription_id'), ['prescription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_updated_at'), ['updated_at'], unique=False)



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_updated_at'))
        batch_op.drop_index(batch_op.f('ix_order_lines_status'))
        batch_op.drop_index(batch_op.f('ix_order_lines_prescription_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_delivered_on'))
        batch_op.drop_index(batch_op.f('ix_order_lines_article_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_user_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_reference'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_lot_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_depot_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_at'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_article_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prescriptions_status'))
        batch_op.drop_index(batch_op.f('ix_prescriptions_renewed_from_id'))
        batch_op.drop_index(batch_op.f('ix_prescriptions_prescriber_id'))
        batch_op.drop_index(batch_op.f('ix_prescriptions_patient_id'))
        batch_op.drop_index(batch_op.f('ix_prescriptions_clinic_id'))
        batch_op.drop_index(batch_op.f('ix_prescriptions_article_id'))

    op.drop_table('prescriptions')
    with op.batch_alter_table('patient_year_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_year_costs_year'))
        batch_op.drop_index(batch_op.f('ix_patient_year_costs_patient_id'))

    op.drop_table('patient_year_costs')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_placed_by_id'))
        batch_op.drop_index(batch_op.f('ix_orders_placed_at'))
        batch_op.drop_index(batch_op.f('ix_orders_patient_id'))

    op.drop_table('orders')
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardians_user_id'))
        batch_op.drop_index(batch_op.f('ix_guardians_patient_id'))

    op.drop_table('guardians')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_reference'))
        batch_op.drop_index(batch_op.f('ix_devices_patient_id'))
        batch_op.drop_index(batch_op.f('ix_devices_depot_id'))
        batch_op.drop_index(batch_op.f('ix_devices_article_id'))

    op.drop_table('devices')
    with op.batch_alter_table('care_relationships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_relationships_patient_id'))
        batch_op.drop_index(batch_op.f('ix_care_relationships_clinic_id'))

    op.drop_table('care_relationships')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addresses_patient_id'))

    op.drop_table('addresses')
    with op.batch_alter_table('user_clinics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_clinics_clinic_id'))

    op.drop_table('user_clinics')
    with op.batch_alter_table('stock_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_lots_depot_id'))
        batch_op.drop_index(batch_op.f('ix_stock_lots_article_id'))

    op.drop_table('stock_lots')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_status'))
        batch_op.drop_index(batch_op.f('ix_reservations_reference'))
        batch_op.drop_index(batch_op.f('ix_reservations_depot_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_created_at'))
        batch_op.drop_index(batch_op.f('ix_reservations_article_id'))

    op.drop_table('reservations')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_user_id'))
        batch_op.drop_index('ix_patients_last_first')

    op.drop_table('patients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_patient_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('article_systems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_systems_system_id'))

    op.drop_table('article_systems')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))

    op.drop_table('users')
    op.drop_table('systems')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))
        batch_op.drop_index(batch_op.f('ix_job_runs_job_name'))

    op.drop_table('job_runs')
    op.drop_table('job_locks')
    op.drop_table('depots')
    op.drop_table('clinics')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_gtin'))
        batch_op.drop_index(batch_op.f('ix_articles_category'))

    op.drop_table('articles')
