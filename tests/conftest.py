"""Fixtures in the shape of the Flask tutorial: app, client, runner, login.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names a
PostgreSQL database. The schema is built by the Alembic migrations, so every
run also proves they upgrade from empty; each test starts from empty tables.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade

from sesamlike import create_app
from sesamlike.config import TestConfig
from sesamlike.extensions import db

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def is_postgres() -> bool:
    return bool(DATABASE_URL) and DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


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
    config = TestConfig(database_url)
    config.WTF_CSRF_ENABLED = False  # tests that prove CSRF turn it back on
    app = create_app(config)
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
def app_ctx(app):
    """Every test runs in an app context and leaves empty tables behind."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # audit_events is append-only (migration 0007); only this cleanup
                # sets the switch its trigger lets DELETE through with.
                conn.execute(sa.text("SET LOCAL sesamlike.allow_audit_purge = 'on'"))
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


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
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
