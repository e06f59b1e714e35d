"""Pooled connections are pinged after an idle spell, not on every checkout
(common/pinging.py): a busy worker spends no round trip on it, and a connection
the server dropped while it sat idle is still replaced before a request uses it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.common.pinging import ping_idle_connections
from sesamlike.config import normalise_database_url
from sesamlike.extensions import db
from tests.conftest import is_postgres


def _count_pings(engine, monkeypatch) -> list:
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn)
    )
    return pings


def test_the_apps_connections_used_a_moment_ago_are_not_pinged(app, monkeypatch):
    def use():
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    use()  # the pool has a connection, just checked in
    pings = _count_pings(db.engine, monkeypatch)
    for _ in range(3):
        use()
    assert pings == []


def test_a_connection_idle_past_the_limit_is_pinged_on_checkout(
    database_url, monkeypatch
):
    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        ping_idle_connections(engine, after_seconds=0)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        pings = _count_pings(engine, monkeypatch)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        assert pings == [1]
    finally:
        engine.dispose()


@pytest.mark.skipif(not is_postgres(), reason="a server that drops a connection")
def test_a_connection_the_server_dropped_while_idle_is_replaced_unseen(database_url):
    url = normalise_database_url(database_url)
    engine, other = sa.create_engine(url), sa.create_engine(url)
    try:
        ping_idle_connections(engine, after_seconds=0)
        with engine.connect() as conn:
            dropped = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with other.begin() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        with engine.connect() as conn:  # the ping finds it gone: a new one
            now = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        assert now != dropped
    finally:
        engine.dispose()
        other.dispose()
