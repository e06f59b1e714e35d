"""What keeps pytest-xdist workers apart: database, ports and Redis keys.

`make test` runs the suite in several processes (`-n auto --dist loadgroup`).
Each worker gets its own SQLite file (its own tmp_path_factory), or on
PostgreSQL its own database `<TEST_DATABASE_URL's database>_gw0`, `_gw1`, ...
(created and dropped by the `database_url` fixture), its own loopback ports
and its own prefix for keys in a shared Redis. Without xdist (`pytest` run by
hand, or `-n 0`) everything is as in a single process: the database of
TEST_DATABASE_URL itself.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa


def worker_id() -> str | None:
    """`gw0`, `gw1`, ... under xdist; None in a single process."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def _worker_slot() -> tuple[int, int]:
    """(this worker's index, number of workers); (0, 1) in a single process."""
    name = worker_id()
    if name is None:
        return 0, 1
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return int(name.removeprefix("gw")), max(count, 1)


def free_port() -> int:
    """A loopback port nothing listens on now, and no other worker will pick.

    The kernel chooses (so runs beside other programs stay as safe as ever);
    of its choices a worker keeps only ports p with p // 2 % workers == its
    index, so two workers of one run never pick the same port in the moment
    between the probe and their server's bind. (p // 2: Linux hands bind() ports
    of one parity only, keeping the other for connect().)
    """
    index, count = _worker_slot()
    with ExitStack() as held:  # held probes make the kernel offer other ports
        for _ in range(64 * count):
            probe = held.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            if port // 2 % count == index:
                return port
    raise RuntimeError("no free loopback port for this worker")


def redis_key_prefix() -> str:
    """Keys of this test process in a shared Redis (rate-limit counters)."""
    return f"sesamlike-test-{worker_id() or 'main'}-{os.getpid()}"


@contextmanager
def own_postgres_database(url: str) -> Iterator[str]:
    """This worker's database `<database>_<worker>` on the server of `url`.

    Created afresh through the server's maintenance database `postgres` (a copy
    left by a killed run is dropped first) and dropped again at the end.
    """
    from sesamlike.config import normalise_database_url

    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker_id()}"
    admin = sa.create_engine(
        sa.engine.make_url(normalise_database_url(url)).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    drop = sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()
