"""Revision 0024 upgrades a region with lines from the previous revision.

On PostgreSQL the lines' patient index then carries every column the cost
rules read of a line (INCLUDE), and is plain again after a downgrade; the
follow-up's costs are the same either way. SQLite keeps its index as it was.
"""

import pytest
import sqlalchemy as sa

from bench.databases import create_database
from sesamlike.common.time import region_today
from sesamlike.orders.models import PATIENT_LINE_COLUMNS
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres
from tests.integration.test_migration_line_patient import stored_costs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PREVIOUS = "0023_prescriptions_patient_payer"
INDEX = "ix_order_lines_patient_id_delivered_on"


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own: a SQLite file, or one beside TEST_DATABASE_URL's."""
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                "sl_migration")  # fmt: skip
    try:
        yield url
    finally:
        drop()


def index_definition(engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        else:
            query = "SELECT sql FROM sqlite_master WHERE name = :name"
        return conn.execute(sa.text(query), {"name": INDEX}).scalar_one()


def test_upgrading_from_0023_lets_the_patients_index_carry_the_lines(scratch_url):
    year = region_today().year - 1
    flask(scratch_url, "db", "upgrade")
    flask(scratch_url, "demo", "load")
    engine = sa.create_engine(scratch_url)
    try:
        flask(scratch_url, "followup", "run", "--year", str(year))
        before = stored_costs(engine, year)
        assert before[0] > 100
        at_head = index_definition(engine)

        flask(scratch_url, "db", "downgrade", PREVIOUS)
        assert "INCLUDE" not in index_definition(engine)
        assert "(patient_id, delivered_on)" in index_definition(engine)
        engine.dispose()
        flask(scratch_url, "db", "upgrade")

        definition = index_definition(engine)
        assert definition == at_head
        assert "(patient_id, delivered_on)" in definition
        if is_postgres():
            included = definition.split("INCLUDE (", 1)[1].rstrip(")").split(", ")
            assert included == list(PATIENT_LINE_COLUMNS)
        else:
            assert "INCLUDE" not in definition
        with engine.begin() as conn:
            for table in ("patient_year_payers", "patient_year_costs", "followup_runs"):
                conn.execute(
                    sa.text(f"DELETE FROM {table} WHERE year = :y"), {"y": year}
                )
        flask(scratch_url, "followup", "run", "--year", str(year))
        assert stored_costs(engine, year) == before
    finally:
        engine.dispose()
