"""Audit log append-only: PostgreSQL refuses UPDATE and DELETE on audit_events.

Reviewed by hand. Patientdatalagen asks that access logs can be reviewed and
trusted, so no one may change or remove a row through the database either (the
app already refuses in the ORM: sesamlike.accounts.audit.refuse_audit_changes).

The trigger lets a DELETE through only when the transaction has set
`SET LOCAL sesamlike.allow_audit_purge = 'on'`: the test harness
(tests/conftest.py) sets it to empty the tables between tests. No code in the app
sets it; a retention purge, if the region decides on one, would be an explicit
operation run by a database administrator. TRUNCATE is not row-level and is
not affected (it needs table ownership anyway). SQLite has no such trigger: there
the ORM guard is the protection.

Revision ID: 0007_audit_append_only
Revises: 0006_followup_prescriber
Create Date: 2026-11-23 19:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_audit_append_only'
down_revision = '0006_followup_prescriber'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE'
               AND coalesce(current_setting('sesamlike.allow_audit_purge', true), '') = 'on'
            THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
