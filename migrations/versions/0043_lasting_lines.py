"""Order lines that may be in use after their delivery year, marked and indexed:
an incremental follow-up run finds a patient's devices without reading every
consumable they were ever sent.

Reviewed by hand (issue 19):
- New column order_lines.lasting (boolean, NULL allowed): TRUE when the line's
  article is a durable device (amortisation years above 0) or a CGM
  transmitter, the lines `followup.compute` counts in a year after the one
  they came in. NULL or FALSE: it is not. Only TRUE is read.
- New partial index ix_order_lines_lasting_patient_id_delivered_on on
  order_lines (patient_id, delivered_on) WHERE lasting: a few lines a patient
  (pumps, transmitters), where ix_order_lines_patient_id_delivered_on holds
  every line. An incremental run at 500,000 patients x 5 years read 90,428
  lines for 5,000 patients through that one to keep 35,388: the consumables
  of earlier years were read only because the devices were found by the same
  range, and the share grows with every year stored.
- Kept true by triggers, not application code, so every writer obeys them
  (the ORM, imports, psql):
  - a line inserted without a value gets its article's (PostgreSQL: BEFORE
    INSERT, TRUE or FALSE; SQLite: AFTER INSERT, TRUE only, a consumable
    stays NULL). A writer that sets it says what it knows: `demo generate`
    writes TRUE or FALSE with its rows (a trigger per row of a COPY of
    millions of lines would cost minutes) and a test holds it to the rule;
  - a line moved to another article gets the new article's;
  - an article that becomes durable or a CGM transmitter (its category or
    amortisation years changed) marks every line of it. An article that stops
    being one leaves its lines marked: a marked line is only read, and the
    rules still decide by the article. A catalogue change makes the next
    follow-up run full anyway.
  None of them sets updated_at: no cost changes with the mark.
- Data: the lines of today's durable and transmitter articles are marked
  (one UPDATE, through ix_order_lines_article_id); the rest stay NULL. The
  patients' data versions are left as they were for it (no page shows the
  mark): the triggers of 0024/0025 are suspended for this UPDATE only.
- Downgrade drops the triggers, the functions, the index and the column.

Revision ID: 0043_lasting_lines
Revises: 0042_stocked_lots_index
Create Date: 2026-12-06 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043_lasting_lines"
down_revision = "0042_stocked_lots_index"
branch_labels = None
depends_on = None

INDEX = "ix_order_lines_lasting_patient_id_delivered_on"
# An article whose lines may be in use after their delivery year (`a` names it):
# `followup.compute.in_use_expr` says the same.
LASTING_ARTICLE = (
    "(coalesce({a}.amortisation_years, 0) > 0 OR {a}.category = 'cgm_transmitter')"
)
# The partial index's condition, as each dialect writes `where(lasting)`.
LASTING_ROWS = {"postgresql": "lasting", "sqlite": "lasting = 1"}
SUSPENDED_SETTING = "sesamlike.data_versions_suspended"


def _lasting(alias: str) -> str:
    return LASTING_ARTICLE.format(a=alias)


def upgrade():
    op.add_column("order_lines", sa.Column("lasting", sa.Boolean(), nullable=True))
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _mark_existing(postgresql)
    op.create_index(
        INDEX,
        "order_lines",
        ["patient_id", "delivered_on"],
        unique=False,
        postgresql_where=sa.text(LASTING_ROWS["postgresql"]),
        sqlite_where=sa.text(LASTING_ROWS["sqlite"]),
    )
    if postgresql:
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _mark_existing(postgresql: bool) -> None:
    mark = (
        "UPDATE order_lines SET lasting = TRUE WHERE article_id IN "
        f"(SELECT a.id FROM articles a WHERE {_lasting('a')})"
    )
    if postgresql:
        op.execute(f"SELECT set_config('{SUSPENDED_SETTING}', 'on', true)")
        op.execute(mark)
        op.execute(f"SELECT set_config('{SUSPENDED_SETTING}', '', true)")
        return
    op.execute("INSERT INTO data_versions (name, version) VALUES ('suspended', 0)")
    op.execute(mark)
    op.execute("DELETE FROM data_versions WHERE name = 'suspended'")


def _postgresql_triggers():
    op.execute(f"""
        CREATE OR REPLACE FUNCTION order_line_lasting() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.lasting := EXISTS (
                SELECT 1 FROM articles a
                WHERE a.id = NEW.article_id AND {_lasting('a')});
            RETURN NEW;
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER order_lines_lasting_insert BEFORE INSERT ON order_lines
        FOR EACH ROW WHEN (NEW.lasting IS NULL)
        EXECUTE FUNCTION order_line_lasting()
    """)
    op.execute("""
        CREATE TRIGGER order_lines_lasting_article BEFORE UPDATE OF article_id
        ON order_lines FOR EACH ROW
        WHEN (NEW.article_id IS DISTINCT FROM OLD.article_id)
        EXECUTE FUNCTION order_line_lasting()
    """)
    op.execute("""
        CREATE OR REPLACE FUNCTION mark_lasting_lines() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE order_lines SET lasting = TRUE
            WHERE article_id = NEW.id AND lasting IS NOT TRUE;
            RETURN NULL;
        END;
        $$
    """)
    op.execute(f"""
        CREATE TRIGGER articles_mark_lasting
        AFTER UPDATE OF category, amortisation_years ON articles FOR EACH ROW
        WHEN ({_lasting('NEW')} AND NOT {_lasting('OLD')})
        EXECUTE FUNCTION mark_lasting_lines()
    """)


def _sqlite_triggers():
    article_lasts = (
        "EXISTS (SELECT 1 FROM articles a "
        f"WHERE a.id = NEW.article_id AND {_lasting('a')})"
    )
    op.execute(f"""
        CREATE TRIGGER order_lines_lasting_insert AFTER INSERT ON order_lines
        WHEN NEW.lasting IS NULL AND {article_lasts}
        BEGIN
            UPDATE order_lines SET lasting = 1 WHERE id = NEW.id;
        END
    """)
    op.execute(f"""
        CREATE TRIGGER order_lines_lasting_article AFTER UPDATE OF article_id
        ON order_lines WHEN NEW.article_id IS NOT OLD.article_id
        BEGIN
            UPDATE order_lines SET lasting = CASE WHEN {article_lasts} THEN 1 END
            WHERE id = NEW.id;
        END
    """)
    op.execute(f"""
        CREATE TRIGGER articles_mark_lasting
        AFTER UPDATE OF category, amortisation_years ON articles
        WHEN {_lasting('NEW')} AND NOT {_lasting('OLD')}
        BEGIN
            UPDATE order_lines SET lasting = 1
            WHERE article_id = NEW.id AND lasting IS NOT 1;
        END
    """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS articles_mark_lasting ON articles")
        op.execute("DROP TRIGGER IF EXISTS order_lines_lasting_article ON order_lines")
        op.execute("DROP TRIGGER IF EXISTS order_lines_lasting_insert ON order_lines")
        op.execute("DROP FUNCTION IF EXISTS mark_lasting_lines()")
        op.execute("DROP FUNCTION IF EXISTS order_line_lasting()")
    else:
        for trigger in ("articles_mark_lasting", "order_lines_lasting_article",
                        "order_lines_lasting_insert"):  # fmt: skip
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index(INDEX, table_name="order_lines")
    # In place on SQLite too (ALTER TABLE ... DROP COLUMN): a batch would copy
    # the table and lose its triggers (0025's data versions).
    op.drop_column("order_lines", "lasting")
