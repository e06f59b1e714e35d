"""psycopg cursors describe their result only when asked what is in it
(common/cursor_description.py): the same columns as psycopg's own description,
of the result they were taken from, and none built for a statement SQLAlchemy
has run before."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.common import cursor_description
from sesamlike.common.cursor_description import LazyDescriptionCursor
from sesamlike.extensions import db
from tests.conftest import is_postgres

postgres_only = pytest.mark.skipif(not is_postgres(), reason="psycopg's cursors")

QUERY = "SELECT 1 AS id, 'Anna'::text AS first_name, now()::date AS day"


def _raw_connection():
    return db.session.connection().connection.dbapi_connection


@postgres_only
def test_the_apps_connections_hand_out_lazily_described_cursors(app):
    assert isinstance(_raw_connection().cursor(), LazyDescriptionCursor)


@postgres_only
def test_the_description_says_what_psycopgs_own_says(app):
    raw = _raw_connection()
    lazy, plain = raw.cursor(), psycopg.Cursor(raw)
    lazy.execute(QUERY)
    plain.execute(QUERY)
    described, expected = lazy.description, plain.description
    assert len(described) == 3 and described
    assert [tuple(column) for column in described] == [
        tuple(column) for column in expected
    ]
    assert [column.name for column in described[-2:]] == ["first_name", "day"]
    assert described[-1][1] == expected[-1].type_code
    assert lazy.fetchall() == plain.fetchall()


@postgres_only
def test_the_description_stays_that_of_its_own_result(app):
    cursor = _raw_connection().cursor()
    cursor.execute(QUERY)
    first = cursor.description
    cursor.execute("SELECT 2 AS other")
    assert [column.name for column in first] == ["id", "first_name", "day"]
    assert [column.name for column in cursor.description] == ["other"]


@postgres_only
def test_a_statement_that_returns_no_rows_has_no_description(app):
    cursor = _raw_connection().cursor()
    cursor.execute("SET LOCAL work_mem = '8MB'")
    assert cursor.description is None
    cursor.execute("SELECT WHERE false")  # rows of no columns: described, empty
    assert cursor.description is not None and len(cursor.description) == 0


@postgres_only
def test_a_statement_run_before_builds_no_column_objects(app, monkeypatch):
    built = []
    real = psycopg.Column.__init__

    def counting(self, cursor, index):
        built.append(index)
        real(self, cursor, index)

    monkeypatch.setattr(psycopg.Column, "__init__", counting)
    users = sa.select(User).order_by(User.id).limit(3)
    first = db.session.scalars(users).all()  # result columns learnt, cached
    built.clear()
    again = db.session.scalars(users).all()
    assert built == []
    assert [user.id for user in again] == [user.id for user in first]
    # A statement SQLAlchemy has not seen reads its columns' names as before.
    row = db.session.execute(sa.text("SELECT 7 AS seven, 'x' AS letter")).one()
    assert (row.seven, row.letter) == (7, "x")
    assert built == [0, 1]


def test_other_drivers_are_left_as_they_are():
    engine = sa.create_engine("sqlite://")
    try:
        cursor_description.describe_lazily(engine)
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert not isinstance(raw.cursor(), LazyDescriptionCursor)
            assert list(conn.execute(sa.text("SELECT 1 AS one")).keys()) == ["one"]
    finally:
        engine.dispose()
