"""Usernames looked up regardless of case: an index on lower(username).

Reviewed by hand:
- A login, the lock after failed logins and the admin's lookups find an account
  by its username whatever the case typed (sesamlike/accounts/usernames.py),
  and no new account may differ from an existing one only in case. This index
  lets that lookup use an index instead of reading every login.
- Not UNIQUE, on purpose: a database may already hold names that differ only in
  case (the admin pages accepted "SSK.NORR" beside "ssk.norr"), and a unique
  index would stop this upgrade until someone renamed a login that a person
  uses. Those accounts are left as they are and keep logging in with their own
  spelling; the application refuses new ones (serialised on PostgreSQL by an
  advisory lock while a name is taken).

Revision ID: 0032_usernames_by_lower_case
Revises: 0031_prescriptions_updated_at
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032_usernames_by_lower_case"
down_revision = "0031_prescriptions_updated_at"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_users_username_lower", "users", [sa.text("lower(username)")], unique=False
    )


def downgrade():
    op.drop_index("ix_users_username_lower", table_name="users")
