"""Names in Swedish order: the collation `swedish` (PostgreSQL).

Reviewed by hand:
- Creates the collation `swedish` from ICU's sv-SE: A to Z, then Å, Ä, Ö;
  case and accents second ("de Vries" under D, "Élise" under E, Ü as Y).
  Lists sorted by name use it (`common.collation.swedish`); before, they sorted
  by code point (this server's databases are C.UTF-8): Ä before Å, lower case
  after Ö.
- A server built without ICU gets libc's sv_SE.UTF-8 where the system has it,
  else a copy of "C" (the order as before): the app's statements name the
  collation either way, and nothing fails for want of a locale.
- SQLite has no collations in the schema: the app registers one of the same
  name on every connection.
- No table, index or data changes; nothing is rewritten. Downgrade drops the
  collation (no column or index uses it: only queries name it).

Revision ID: 0048_swedish_collation
Revises: 0047_work_list_indexes
Create Date: 2026-12-07 05:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0048_swedish_collation"
down_revision = "0047_work_list_indexes"
branch_labels = None
depends_on = None

CREATE = """
DO $$
BEGIN
    CREATE COLLATION IF NOT EXISTS swedish (provider = icu, locale = 'sv-SE');
EXCEPTION WHEN OTHERS THEN
    BEGIN
        CREATE COLLATION IF NOT EXISTS swedish
            (provider = libc, locale = 'sv_SE.UTF-8');
    EXCEPTION WHEN OTHERS THEN
        CREATE COLLATION IF NOT EXISTS swedish FROM "C";
    END;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP COLLATION IF EXISTS swedish")
