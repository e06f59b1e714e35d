"""Revision 0022 upgrades a region with orders from the previous revision.

The demo region is loaded at head, the database taken back to 0021 (the
column goes, the lines stay), and upgraded again: every line gets its order's
patient, and the follow-up reads the lines by that patient.
"""

import pytest
import sqlalchemy as sa

from bench.databases import create_database
from sesamlike.common.time import region_today
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PREVIOUS = "0021_patients_updated_at"


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own: a SQLite file, or one beside TEST_DATABASE_URL's."""
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                "sl_migration")  # fmt: skip
    try:
        yield url
    finally:
        drop()


def mismatched_lines(engine) -> tuple[int, int]:
    """(lines, lines whose patient is not their order's)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*), sum(CASE WHEN l.patient_id = o.patient_id "
                "THEN 0 ELSE 1 END) FROM order_lines l "
                "JOIN orders o ON o.id = l.order_id"
            )
        ).one()


def test_upgrading_from_0021_gives_every_line_its_orders_patient(scratch_url):
    year = region_today().year - 1
    flask(scratch_url, "db", "upgrade")
    flask(scratch_url, "demo", "load")
    engine = sa.create_engine(scratch_url)
    try:
        lines, wrong = mismatched_lines(engine)
        assert lines > 1000 and wrong == 0  # as the writers set it
        flask(scratch_url, "followup", "run", "--year", str(year))
        before = stored_costs(engine, year)
        assert before[0] > 100

        flask(scratch_url, "db", "downgrade", PREVIOUS)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("order_lines")}
        assert "patient_id" not in columns
        engine.dispose()
        flask(scratch_url, "db", "upgrade")

        inspector = sa.inspect(engine)
        column = next(
            c for c in inspector.get_columns("order_lines") if c["name"] == "patient_id"
        )
        assert column["nullable"] is False
        indexes = {
            i["name"]: i["column_names"] for i in inspector.get_indexes("order_lines")
        }
        assert indexes["ix_order_lines_patient_id_delivered_on"] == [
            "patient_id",
            "delivered_on",
        ]
        assert mismatched_lines(engine) == (lines, 0)
        # The year computed afresh from the backfilled lines: the same costs.
        with engine.begin() as conn:
            for table in ("patient_year_payers", "patient_year_costs", "followup_runs"):
                conn.execute(
                    sa.text(f"DELETE FROM {table} WHERE year = :y"), {"y": year}
                )
        flask(scratch_url, "followup", "run", "--year", str(year))
        assert stored_costs(engine, year) == before
    finally:
        engine.dispose()


def stored_costs(engine, year: int) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT count(*), sum(total_cost_sek), sum(pump_part_sek) "
                    "FROM patient_year_costs WHERE year = :y"
                ),
                {"y": year},
            ).one()
        )
