"""Smoke run of bench/portal_cpu.py: it builds its database, logs the bench
patient in, runs "my aids" and whole reorders and prints its figures.

CPU is measured by running the benchmark, never asserted here: this only proves
it still runs end to end (tiny numbers) and ends with its summary line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]

NUMBER = r"\d+\.\d"
SUMMARY = re.compile(
    rf"SUMMARY portal_cpu db=(SQLite|PostgreSQL) myaids_cpu_ms={NUMBER} "
    rf"reorder_cpu_ms={NUMBER} myaids_queries=\d+ form_queries=\d+ "
    rf"review_queries=\d+ send_queries=\d+ myaids_afresh_cpu_ms={NUMBER}$"
)


def test_portal_cpu_benchmark_quick_run_ends_with_its_summary_line(tmp_path):
    server = ["--database-url", DATABASE_URL] if is_postgres() else []
    result = subprocess.run(
        [sys.executable, "bench/portal_cpu.py", "--iterations", "3", "--warmup", "1",
         "--statements", *server],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # Its working folder (the instance, a SQLite database) goes with it.
    assert list(tmp_path.iterdir()) == []
    lines = result.stdout.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    for row in (
        "my aids GET /portal/",
        "my aids, built afresh",
        "reorder POST send",
        "a whole reorder",
    ):
        assert row in result.stdout
    assert "INSERT INTO audit_events" in result.stdout  # --statements shows the SQL
