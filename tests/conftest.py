"""Fixtures in the shape of the Flask tutorial: app, client, runner, login.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names a
PostgreSQL database. The schema is built by the Alembic migrations, so every
run also proves they upgrade from empty; each test starts from empty tables.
Under pytest-xdist each worker has a database of its own (tests/workers.py).

Tests in tests/unit get none of this: no app, no app context, no migrations.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade

from sesamlike import create_app
from sesamlike.common.time import utcnow
from sesamlike.config import TestConfig
from sesamlike.extensions import db
from tests import midnight
from tests.workers import own_postgres_database, redis_key_prefix, worker_id

# The server's database as given; under xdist each worker uses its own copy
# (the `database_url` fixture), so connect to this one only for server-wide work.
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
UNIT_TESTS = Path(__file__).parent / "unit"


def is_postgres() -> bool:
    return bool(DATABASE_URL) and DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """This test process's database (a worker's own under pytest-xdist)."""
    if not DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    elif is_postgres() and worker_id() is not None:
        with own_postgres_database(DATABASE_URL) as url:
            yield url
    else:
        yield DATABASE_URL


def make_test_config(database_url: str, *, csrf: bool) -> TestConfig:
    config = TestConfig(database_url)
    config.WTF_CSRF_ENABLED = csrf
    config.RATELIMIT_KEY_PREFIX = redis_key_prefix()  # workers share no counters
    return config


class RequestIsolatedClient(FlaskClient):
    """Each request gets its own app context, `g` and database session, as in
    production; otherwise Flask reuses the test's app context and a user cached
    in `g` by one request would still be logged in for the next."""

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()  # the test reads what the request committed


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault(
        "SESAMLIKE_INSTANCE", str(tmp_path_factory.mktemp("instance"))
    )
    # CSRF off: the tests that prove CSRF turn it back on (csrf_on).
    app = create_app(make_test_config(database_url, csrf=False))
    app.test_client_class = RequestIsolatedClient
    with app.app_context():
        with db.engine.begin() as conn:
            # A fresh schema every session, built by the migrations themselves.
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def app_ctx(request):
    """Every test but a unit test runs in an app context and leaves empty tables."""
    if UNIT_TESTS in request.path.parents:
        if "app" in request.fixturenames:
            pytest.fail(
                "tests/unit run without the app and the database: "
                "move this test to tests/integration",
                pytrace=False,
            )
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        empty_tables()


def empty_tables() -> None:
    """Every table emptied, what the session holds forgotten: as a test leaves
    them (and a stateful fuzz test before each of its sequences of calls)."""
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # audit_events is append-only (migration 0007); only this cleanup
            # sets the switch its trigger lets DELETE through with.
            conn.execute(sa.text("SET LOCAL sesamlike.allow_audit_purge = 'on'"))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def restart_ids() -> None:
    """Every table's next id 1 again, as in a new database (after
    `empty_tables`): a stateful fuzz test's generated ids (patient 3, order 7)
    then meet the same rows whichever tests ran before it in the worker;
    with the ids the earlier tests had used, its calls took other branches
    than Hypothesis had recorded (FlakyStrategyDefinition in CI)."""
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT setval(pg_get_serial_sequence(:t, 'id'), 1, false)"
                    ),
                    {"t": table.name},
                )
        if (
            conn.dialect.name == "sqlite"
            and conn.execute(
                sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
        ):
            conn.execute(sa.text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


PASSWORD = "correct-horse-1"


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD):
        return self._client.post(
            "/login", data={"username": username, "password": password}
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def csrf_token_from(html: str) -> str:
    # WTForms' field (id, name, type, value) or a plain input of the template.
    match = re.search(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def pytest_configure(config):
    """Before any test module fixes its day: a run that would cross the
    region's midnight waits for it (tests/midnight.py). Once, in the process
    that starts the xdist workers."""
    if hasattr(config, "workerinput"):
        return
    wait = midnight.wait_before(utcnow())
    if wait:
        print(
            f"Midnight in Stockholm is {wait.seconds // 60} min away: the tests "
            "fix the region's day when imported, so this run waits for the new day.",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(wait.total_seconds())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under --dist loadgroup, refuse to run if xdist left an xdist_group unapplied
    (it silently does with some pytest versions): those tests must share a worker."""
    if not getattr(config.option, "loadgroup", False):
        return
    ignored = [
        item.nodeid
        for item in items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if ignored:
        raise pytest.UsageError(
            f"pytest-xdist ignored the xdist_group of {len(ignored)} tests "
            f"(e.g. {ignored[0]}): use a pytest that xdist supports (pyproject.toml)"
        )


# Lines a test adds to pytest's closing summary (figures CI output should show).
# Under xdist a worker's terminal is not shown, so workers hand theirs on to the
# controller, which prints them all.
SUMMARIES = pytest.StashKey[list]()


def add_to_summary(config: pytest.Config, title: str, lines: list[str]) -> None:
    config.stash.setdefault(SUMMARIES, []).append([title, list(lines)])


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["summaries"] = session.config.stash.get(SUMMARIES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # noqa: ARG001 - an xdist hook
    for title, lines in getattr(node, "workeroutput", {}).get("summaries", []):
        add_to_summary(node.config, title, lines)


def pytest_terminal_summary(terminalreporter, config):
    for title, lines in config.stash.get(SUMMARIES, []):
        terminalreporter.write_sep("=", title)
        for line in lines:
            terminalreporter.write_line(line)
