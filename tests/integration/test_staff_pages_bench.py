"""Smoke run of bench/staff_pages.py: it builds a tiny region, every staff
page it times answers without a server error, and it ends with its one
machine-readable SUMMARY line. Figures only: nothing is timed here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]

SUMMARY = re.compile(
    r"SUMMARY staff_pages db=(?P<db>sqlite|postgresql) patients=\d+ "
    r"pages=(?P<pages>\d+) slowest_ms=\d+ slowest=\S+ over_1s=\d+$",
    re.MULTILINE,
)
# A row of the table: the page, its status, first and median ms, kB.
ROW = re.compile(
    r"^(?:prescriber|manager|region|admin|aids centre): .*?\s(\d{3})"
    r"\s+\d+\s+\d+\s+\d+$",
    re.MULTILINE,
)


def test_the_staff_pages_bench_runs_and_every_page_answers():
    server = ["--database-url", DATABASE_URL] if is_postgres() else []
    result = subprocess.run(
        [sys.executable, "bench/staff_pages.py", "--patients", "30", "--years", "1",
         "--repeat", "1", *server],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = SUMMARY.search(result.stdout)
    assert found, result.stdout[-2000:]
    assert found["db"] == ("postgresql" if is_postgres() else "sqlite")
    assert int(found["pages"]) == 40
    table = result.stdout.split("SUMMARY")[0]
    statuses = ROW.findall(table)
    assert len(statuses) == 40 and set(statuses) == {"200"}, table[-3000:]
