"""pg_dump/pg_restore of the demo region gives identical follow-up figures."""

import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("bench"),  # the demo region through pg_dump: heavy
    pytest.mark.skipif(not is_postgres(), reason="pg_dump/pg_restore need PostgreSQL"),
]


def server_url(name: str) -> str:
    base = sa.engine.make_url(
        DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    return base.set(database=name).render_as_string(hide_password=False)


def libpq_url(name: str) -> str:
    return server_url(name).replace("postgresql+psycopg://", "postgresql://", 1)


def report_figures(url: str, year: int) -> dict:
    from sesamlike import create_app
    from sesamlike.accounts.services import issue_token
    from sesamlike.config import TestConfig

    app = create_app(TestConfig(url))
    with app.app_context():
        headers = {"Authorization": f"Bearer {issue_token('analytiker')}"}
        client = app.test_client()
        figures = {
            path: client.get(
                f"/api/v1/followup/{path}?year={year}", headers=headers
            ).get_json()
            for path in ("patient-costs", "system-costs")
        }
        from sesamlike.extensions import db

        db.engine.dispose()
    return figures


@pytest.mark.skipif(
    not shutil.which("pg_dump") or not shutil.which("pg_restore"),
    reason="pg_dump and pg_restore are not on PATH",
)
def test_restored_dump_gives_identical_report_figures(tmp_path):
    live, restored = (f"sl_backup_{uuid.uuid4().hex[:8]}_{n}" for n in ("live", "copy"))
    admin = sa.create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")
    year = region_today().year - 1
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{live}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{restored}"'))
        flask(server_url(live), "db", "upgrade")
        flask(server_url(live), "demo", "load")
        flask(server_url(live), "followup", "run", "--year", str(year), "--full")
        dump = tmp_path / "sesamlike.dump"
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--file={dump}",
                libpq_url(live),
            ],
            check=True,
            timeout=120,
        )
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={libpq_url(restored)}",
                str(dump),
            ],
            check=True,
            timeout=120,
        )
        before = report_figures(server_url(live), year)
        after = report_figures(server_url(restored), year)
        assert before["system-costs"]["systems"], (
            "the demo region has figures to compare"
        )
        assert len(before["patient-costs"]["patients"]) > 100
        assert after == before
    finally:
        with admin.connect() as conn:
            for name in (live, restored):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
