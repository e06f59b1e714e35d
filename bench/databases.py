"""What the benchmarks share: the flask command and a database of their own.

Each benchmark builds its own database: a temporary SQLite file, or a new
PostgreSQL database next to the one a URL names, dropped at the end.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def flask(env: dict, *args: str) -> None:
    """`flask --app app ARGS` in the project, with `env`; its output hidden."""
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def dialect(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def create_database(server_url: str | None, workdir: Path, prefix: str):
    """(url, drop): SQLite in `workdir` without a server URL, else a new
    PostgreSQL database named `<prefix>_<random>` on that server."""
    if not server_url:
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    from sesamlike.config import normalise_database_url

    admin = sa.create_engine(normalise_database_url(server_url),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        from sesamlike.extensions import db

        try:
            db.engine.dispose()
        except RuntimeError:
            pass  # no app context: nothing pooled here
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def report_users(db) -> tuple[sa.Row, str]:
    """The largest clinic (code, n: patients in its care) and a manager of it
    and a region user, `bench-chef-<suffix>` and `bench-region-<suffix>` with
    the password `bench-password-1`; returns (clinic row, suffix)."""
    from sesamlike.accounts import services as accounts

    row = db.session.execute(sa.text(
        "SELECT c.code, count(*) AS n FROM care_relationships r "
        "JOIN clinics c ON c.id = r.clinic_id WHERE r.ended_on IS NULL "
        "GROUP BY c.code ORDER BY n DESC, c.code LIMIT 1")).one()  # fmt: skip
    suffix = uuid.uuid4().hex[:6]
    accounts.create_user(f"bench-chef-{suffix}", "bench-password-1", "manager",
                         clinic_codes=[row.code], commit=True)  # fmt: skip
    accounts.create_user(f"bench-region-{suffix}", "bench-password-1", "region",
                         commit=True)  # fmt: skip
    return row, suffix
