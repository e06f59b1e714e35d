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
