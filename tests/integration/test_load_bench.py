"""Smoke run of bench/load.py: gunicorn, PostgreSQL and the load generator agree.

Performance is measured by running the benchmark, never asserted here: this only
proves the benchmark still runs end to end (tiny numbers) and prints its table.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]

# One bench at a time under xdist: it loads the machine with 50 users on purpose.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("bench")]


@pytest.mark.skipif(
    not is_postgres(), reason="bench/load.py runs gunicorn against PostgreSQL only"
)
def test_load_benchmark_quick_run_prints_its_table():
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--database-url", DATABASE_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    for row in ("/healthz", "my aids GET /portal/", "POST send", "one reorder"):
        assert row in out
    assert "p95 ms" in out and "of /healthz" in out
    assert "my aids p95 < 100 ms" in out and "reorder p95 < 100 ms" in out
    assert "error in" not in out  # every request of the smoke run succeeded
    # The README's production configuration, and the driver's own account.
    assert "gthread workers x 8 threads" in out
    assert out.count("achieved") == 3 and "driver processes busy" in out


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
