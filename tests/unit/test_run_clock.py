"""bench/run_clock.py: where a run's time went, as the follow-up bench prints it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from bench.run_clock import RunClock, statement_name


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("CREATE TEMPORARY TABLE followup_groups AS SELECT parts.patient_id",
         "CREATE TEMPORARY TABLE followup_groups"),
        ("INSERT INTO patient_year_costs (patient_id, year) SELECT 1, 2",
         "INSERT INTO patient_year_costs"),
        ("DELETE FROM patient_year_payers\n  WHERE year = ?",
         "DELETE FROM patient_year_payers"),
        ('UPDATE "temp".followup_changed SET sensor_system = 1',
         'UPDATE "temp".followup_changed'),
        ("WITH named_lines AS (SELECT 1) INSERT INTO x SELECT 1", "WITH named_lines"),
        ("SELECT articles.id, articles.category\nFROM articles ORDER BY articles.id",
         "SELECT … FROM articles"),
        ("DROP TABLE IF EXISTS pg_temp.followup_stage, pg_temp.followup_changed",
         "DROP TABLE IF EXISTS pg_temp.followup_stage"),
    ],
)  # fmt: skip
def test_a_statement_is_named_by_its_verb_and_first_table(sql, name):
    assert statement_name(sql) == name


def test_the_clock_splits_a_run_into_statements_commit_and_the_rest(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'clock.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")

    with RunClock(engine) as clock, engine.begin() as conn:
        for value in range(3):
            conn.exec_driver_sql(f"INSERT INTO t (v) VALUES ({value})")
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()

    assert [statement_name(sql) for sql, _s in clock.statements] == [
        "INSERT INTO t", "INSERT INTO t", "INSERT INTO t", "SELECT … FROM t",
    ]  # fmt: skip
    assert clock.commit > 0 and clock.total > clock.in_statements + clock.commit
    first, *slowest = clock.lines(top=2)
    assert re.match(r"[\d.]+ ms = 4 statements [\d.]+ ms \+ commit", first), first
    figures = [float(x) for x in re.findall(r"([\d.]+) ms", first)]
    # Printed to a tenth of a millisecond: the parts add up to the total.
    assert len(figures) == 4 and abs(figures[0] - sum(figures[1:])) <= 0.15
    names = {re.sub(r"^  [\d.]+ ms ", "", line) for line in slowest}
    assert names == {"INSERT INTO t (3 times)", "SELECT … FROM t"}
    # Outside the clock, nothing of it is left on the engine.
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (9)")
    assert len(clock.statements) == 4
    assert "do_commit" not in vars(engine.dialect)
    engine.dispose()
