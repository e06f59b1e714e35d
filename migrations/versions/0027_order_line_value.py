"""A line's value in millionths of a krona, kept by the database.

Reviewed by hand (issue 19):
- `order_lines.value_micro`: packs kept × pack price × (1 + VAT on pharmacy
  lines), in whole millionths of a krona, exact (prices have 2 decimals, VAT
  rates 4): `orders.models.VALUE_MICRO`. A generated column, so it follows every
  change of packs, packs put back on stock, price, channel or VAT, and nothing
  writes it by hand (the ORM leaves it out). NULL past 400,000,000,000 kronor,
  where 64 bits could overflow: a write of such a line never fails, and the
  follow-up then computes the value from the columns as before.
- PostgreSQL: STORED. Adding it rewrites order_lines once (1.2 million lines:
  about 10 s on the 2-core bench machine; 11.4 million: minutes). A follow-up
  run then sums it instead of two NUMERIC products per line and part: at
  100,000 patients x 2 years a full rerun took 1.48 s against 1.76 s (16 %
  less), with the same figures to the öre.
- SQLite: VIRTUAL (ALTER TABLE may add no other kind); computed when read.
  SQLite's runs work in REAL kronor and do not read it.

Revision ID: 0027_order_line_value
Revises: 0026_sum_int8
Create Date: 2026-12-04 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_order_line_value"
down_revision = "0026_sum_int8"
branch_labels = None
depends_on = None

# As orders.models.VALUE_MICRO when written (a migration keeps its own copy).
VALUE_MICRO = (
    "CASE WHEN (packs - packs_restocked) * pack_price_sek < 400000000000 "
    "THEN (packs - packs_restocked) * CAST(ROUND(pack_price_sek * 100) AS BIGINT) "
    "* CASE WHEN channel = 'pharmacy' THEN 10000 + CAST(ROUND(vat_rate * 10000) "
    "AS BIGINT) ELSE 10000 END END"
)


def upgrade():
    stored = True if op.get_bind().dialect.name == "postgresql" else None
    op.add_column(
        "order_lines",
        sa.Column(
            "value_micro", sa.BigInteger(), sa.Computed(VALUE_MICRO, persisted=stored)
        ),
    )


def downgrade():
    # In place on SQLite too (ALTER TABLE ... DROP COLUMN): a batch would copy
    # the table and lose its triggers (0025's data versions).
    op.drop_column("order_lines", "value_micro")
