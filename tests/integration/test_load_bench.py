"""Smoke run of bench/load.py: gunicorn, PostgreSQL and the load generator agree.

Performance is measured by running the benchmark, never asserted here: this only
proves the benchmark still runs end to end (tiny numbers) and prints its table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import load_driver
from tests.conftest import DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]

# One bench at a time under xdist: it loads the machine with 50 users on purpose.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("bench")]


@pytest.mark.skipif(
    not is_postgres(), reason="bench/load.py runs gunicorn against PostgreSQL only"
)
def test_load_benchmark_quick_run_prints_its_table(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--database-url", DATABASE_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # Its working folder (the instance, gunicorn's log) goes with it.
    assert list(tmp_path.iterdir()) == []
    out = result.stdout
    for row in ("/healthz", "my aids GET /portal/", "POST send", "one reorder"):
        assert row in out
    assert "p95 ms" in out and "of /healthz" in out
    assert "my aids p95 < 100 ms" in out and "reorder p95 < 100 ms" in out
    assert "error in" not in out  # every request of the smoke run succeeded
    # The README's production configuration, and the driver's own account.
    assert "gthread workers x 4 threads" in out
    assert out.count("achieved") == 6 and "driver processes busy" in out
    # Where the CPU of a request goes, PostgreSQL's included, and what the
    # cores could serve at that cost.
    capacity = re.findall(
        r"(healthz|my_aids|reorder) +workers +([\d.]+) \+ PostgreSQL +([\d.]+|n/a) "
        r"\+ driver +([\d.]+) = +([\d.]+) ms: at most +([\d.]+) req/s",
        out,
    )
    assert [phase for phase, *_ in capacity] == ["healthz", "my_aids", "reorder"]
    for _phase, worker, database, driver, total, _most in capacity:
        parts = [float(worker), float(driver)] + (
            [] if database == "n/a" else [float(database)]
        )
        # Each figure is printed rounded to 0.01 ms: the printed parts add up to
        # the printed total within three halves of a hundredth.
        assert float(total) > 0 and abs(float(total) - sum(parts)) <= 0.015 + 1e-9


NUMBER = r"(\d+(\.\d+)?|nan)"
SUMMARY_LOAD = re.compile(
    rf"SUMMARY load users=4 think_ms=(?P<think>\d+) myaids_cpu_ms={NUMBER} "
    rf"reorder_cpu_ms={NUMBER} myaids_share_of_healthz_pct={NUMBER} "
    rf"myaids_p95_ms={NUMBER} reorder_step_p95_ms={NUMBER} errors=(?P<errors>\d+)"
)


@pytest.mark.skipif(
    not is_postgres(), reason="bench/load.py runs gunicorn against PostgreSQL only"
)
def test_load_benchmark_ends_with_one_summary_line_with_think_time():
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--think-ms", "20",
         "--database-url", DATABASE_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert [line for line in lines if line.startswith("SUMMARY")] == [lines[-1]]
    summary = SUMMARY_LOAD.fullmatch(lines[-1])
    assert summary, lines[-1]
    assert summary["think"] == "20" and summary["errors"] == "0"


@pytest.mark.skipif(
    not is_postgres(), reason="the benchmark reads PostgreSQL's processes from /proc"
)
def test_load_benchmark_counts_the_cpu_of_postgresql_working_for_its_database(
    database_url,
):
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        pid = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        title = Path(f"/proc/{pid}/cmdline")
        if not title.exists() or not title.read_bytes().startswith(b"postgres:"):
            pytest.skip("PostgreSQL runs where this machine cannot see its processes")
        name = connection.scalar(sa.text("SELECT current_database()"))
        before = load_driver.database_cpu_seconds(name)
        connection.scalar(sa.text("SELECT sum(i) FROM generate_series(1, 5000000) i"))
        after = load_driver.database_cpu_seconds(name)
        elsewhere = load_driver.database_cpu_seconds(f"{name}_not_this_one")
    engine.dispose()

    assert pid in before and pid in after  # this connection's backend
    assert after[pid] - before[pid] >= 0.1  # the sum took its CPU there
    assert load_driver.cpu_since(before, after) >= after[pid] - before[pid]
    assert pid not in elsewhere  # a backend of another database is not counted
