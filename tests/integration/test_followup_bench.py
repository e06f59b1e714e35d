"""Smoke run of bench/followup.py: it runs end to end at a tiny scale and ends
with its one machine-readable SUMMARY line. Figures only: nothing is timed here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]

NUMBER = r"\d+(\.\d+)?"
SUMMARY_FOLLOWUP = re.compile(
    rf"SUMMARY followup db=(?P<db>sqlite|postgresql) patients=40 years=1 "
    rf"first_vs_write_floor={NUMBER} rerun_vs_floor={NUMBER} "
    rf"incremental_pct={NUMBER} peak_mb={NUMBER} clinic_report_ms={NUMBER} "
    rf"region_report_ms={NUMBER} generate_s={NUMBER}"
)


@pytest.fixture(scope="module")
def bench_output() -> str:
    server = ["--database-url", DATABASE_URL] if is_postgres() else []
    result = subprocess.run(
        [sys.executable, "bench/followup.py", "--patients", "40", "--years", "1",
         *server],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def test_followup_benchmark_ends_with_one_summary_line(bench_output):
    lines = bench_output.strip().splitlines()
    assert [line for line in lines if line.startswith("SUMMARY")] == [lines[-1]]
    summary = SUMMARY_FOLLOWUP.fullmatch(lines[-1])
    assert summary, lines[-1]
    assert summary["db"] == ("postgresql" if is_postgres() else "sqlite")
    # The write floor stores the rows the read floor sums.
    assert "its totals match the read floor's: True" in bench_output
    if is_postgres():  # and the floor reading the stored line values sums them
        assert re.search(
            r"read floor reading the stored line values: .*its totals match the "
            r"read floor's: True",
            bench_output,
        )


def test_followup_benchmark_stored_totals_equal_the_floor(bench_output):
    assert "stored totals match the floor after the incremental run: True" in (
        bench_output
    )
    # After every run, not only the last: the three rounds' first runs and
    # reruns, the three nights and the peak memory's run.
    assert (
        "stored totals match the floor after every run: True (10 runs: "
        "first run 1, rerun 1, first run 2, rerun 2, first run 3, rerun 3, "
        "night 1, night 2, night 3, the peak memory's run)"
    ) in bench_output
    # Each first run wrote every row into the year emptied; each rerun none.
    first = re.findall(r"  first run: \S+ s, (\d+) patients, (\d+) rows written", (
        bench_output))  # fmt: skip
    reruns = re.findall(r"  rerun: \S+ s, \d+ patients, (\d+) rows written",
                        bench_output)  # fmt: skip
    assert len(first) == 3 and all(int(n) > 0 and n == rows for n, rows in first)
    assert reruns == ["0", "0", "0"]


MS = r"-?\d+\.\d"


def test_followup_benchmark_says_where_the_runs_time_went(bench_output):
    for run in ("the best first run", "the best rerun", "the best incremental run"):
        found = re.search(
            rf"where the time of {run} went: (?P<total>{MS}) ms = (?P<count>\d+) "
            rf"statements (?P<sql>{MS}) ms \+ commit (?P<commit>{MS}) ms \+ "
            rf"Python (?P<rest>{MS}) ms .*the slowest statements:\n(?P<top>(  .*\n)+)",
            bench_output,
        )
        assert found, bench_output
        total, sql, commit, rest = (
            float(found[name]) for name in ("total", "sql", "commit", "rest")
        )
        # Printed to a tenth of a millisecond: the parts add up to the total.
        assert int(found["count"]) > 5 and abs(total - (sql + commit + rest)) <= 0.15
        slowest = found["top"].splitlines()
        assert 1 <= len(slowest) <= 5
        # The computation's own temporary tables are among them.
        assert any("followup_" in line for line in slowest), slowest


def test_followup_benchmark_measures_the_incremental_write_floor(bench_output):
    # The same patients' rows by hand, upserted: the floor the incremental
    # run is compared with, and its rows sum to what the run stored.
    assert re.search(
        rf"incremental write floor \(.*\): {MS} ms \(best night of {MS}, {MS}, "
        rf"{MS}\), {MS} % of the full rerun; ratio best incremental run/"
        rf"incremental write floor \d+\.\d\d",
        bench_output,
    ), bench_output
    assert "the incremental write floor's totals match the stored rows': True" in (
        bench_output
    )


def test_followup_benchmark_times_the_report_after_a_patient_changes(bench_output):
    # A phone number changed keeps the kept figures, a diabetes type changed
    # has them computed again: each page's next request is timed after both.
    for change in ("phone number", "diabetes type"):
        for page in (r"clinic \S+ with \d+ patients", "the whole region"):
            assert re.search(
                rf"report page, {page}: the first after a patient's {change} "
                rf"changed: \d+ ms",
                bench_output,
            ), bench_output
