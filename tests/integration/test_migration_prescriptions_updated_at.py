"""Revision 0031 upgrades a region with prescriptions from 0030 and back.

Every existing prescription counts as changed at the upgrade (when it last
changed is not known), and the data-change triggers on prescriptions survive
the upgrade and the downgrade (a copied table would lose them on SQLite).
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.common.time import stored_utc
from sesamlike.extensions import db
from tests.migration_db import ARTICLE_AND_PATIENT, app_on_own_database

PREVIOUS = "0030_depot_staff"
TRIGGERS = {"prescriptions_bump_insert", "prescriptions_bump_update",
            "prescriptions_bump_delete"}  # fmt: skip
ROWS = [
    "INSERT INTO clinics (id, code, name, cost_centre, paediatric) "
    "VALUES (1, 'NORR', 'Norr', 'KS1', false)",
    *ARTICLE_AND_PATIENT,
    "INSERT INTO prescriptions (id, patient_id, article_id, clinic_id, "
    "cost_centre, packs_per_withdrawal, withdrawals, withdrawals_used, "
    "period_days, lock_days, valid_from, valid_to, status, created_at) VALUES "
    "(1, 1, 1, 1, 'KS1', 1, 4, 1, 90, 60, '2025-01-01', '2026-01-01', 'active', "
    "'2025-01-01 08:00:00')",
]


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_rx_updated")


def prescription_triggers() -> set[str]:
    if db.engine.dialect.name == "postgresql":
        query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                 "AND tgrelid = 'prescriptions'::regclass")  # fmt: skip
    else:
        query = ("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                 "AND tbl_name = 'prescriptions'")  # fmt: skip
    with db.engine.connect() as conn:
        return set(conn.execute(sa.text(query)).scalars())


def updated_at() -> datetime:
    column = sa.column("updated_at", sa.DateTime(timezone=True))
    with db.engine.connect() as conn:
        value = conn.execute(
            sa.select(column).select_from(sa.table("prescriptions"))
        ).scalar_one()
    return stored_utc(value)


def test_upgrading_from_0030_dates_every_prescription_at_the_upgrade(scratch):
    upgrade(revision=PREVIOUS)
    with db.engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    before = datetime.now(UTC)
    upgrade()
    assert before <= updated_at() <= datetime.now(UTC)
    inspector = sa.inspect(db.engine)
    column = next(c for c in inspector.get_columns("prescriptions")
                  if c["name"] == "updated_at")  # fmt: skip
    assert column["nullable"] is False
    assert {"ix_prescriptions_updated_at": ["updated_at"]}.items() <= {
        i["name"]: i["column_names"] for i in inspector.get_indexes("prescriptions")
    }.items()
    assert TRIGGERS <= prescription_triggers()

    downgrade(revision=PREVIOUS)
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("prescriptions")}
    assert "updated_at" not in columns
    assert TRIGGERS <= prescription_triggers()
    upgrade()
    assert TRIGGERS <= prescription_triggers()
