"""Revision 0032 gives the runs recorded before it the outcome new runs get.

A send_mail run that reached no SMTP server was recorded as "succeeded" with
"failed: 5" in its counts; after the upgrade the jobs page shows it with the
failed runs, as it shows such runs from then on.
"""

import json

import pytest
import sqlalchemy as sa

from bench.databases import create_database
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PREVIOUS = "0032_usernames_by_lower_case"
RUNS = [
    ("send_mail", "succeeded", {"sent": 0, "failed": 5, "gave_up": 0}),
    ("send_mail", "succeeded", {"sent": 2, "failed": 0, "gave_up": 1}),
    ("send_mail", "succeeded", {"sent": 2, "failed": 0, "gave_up": 0}),
    ("followup_nightly", "succeeded", {"patients": 4, "warm_failed": 1}),
    ("reminders", "succeeded", {"runout_reminder": 3}),
    ("supplier_export", "failed", None),
    ("send_mail", "succeeded", None),
]


@pytest.fixture
def scratch_url(tmp_path):
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                "sl_migration_runs")  # fmt: skip
    try:
        yield url
    finally:
        drop()


def outcomes(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT outcome FROM job_runs ORDER BY id")))


def test_runs_with_failed_items_become_partial_and_back(scratch_url):
    flask(scratch_url, "db", "upgrade", PREVIOUS)
    engine = sa.create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            for name, outcome, counts in RUNS:
                conn.execute(
                    sa.text(
                        "INSERT INTO job_runs (job_name, started_at, outcome, counts)"
                        " VALUES (:name, CURRENT_TIMESTAMP, :outcome, :counts)"
                    ),
                    {"name": name, "outcome": outcome,
                     "counts": None if counts is None else json.dumps(counts)},
                )  # fmt: skip
        engine.dispose()
        flask(scratch_url, "db", "upgrade")
        assert outcomes(engine) == [
            "partial", "partial", "succeeded", "partial", "succeeded", "failed",
            "succeeded",
        ]  # fmt: skip
        engine.dispose()
        flask(scratch_url, "db", "downgrade", PREVIOUS)
        assert outcomes(engine) == [outcome for _, outcome, _ in RUNS]
    finally:
        engine.dispose()
