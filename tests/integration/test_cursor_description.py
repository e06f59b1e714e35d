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
from sesamlike.config import normalise_database_url
from sesamlike.extensions import db
from tests.conftest import is_postgres

postgres_only = pytest.mark.skipif(not is_postgres(), reason="psycopg's cursors")

# Names beyond ASCII (decoded in the connection's encoding), and types whose
# precision, scale and size come from the adapters.
QUERY = (
    "SELECT 1 AS id, 'Anna'::text AS first_name, now()::date AS day,"
    " 12.50::numeric(12, 2) AS \"förpackningspris\", 'Umeå'::varchar(20) AS ort"
)
NAMES = ["id", "first_name", "day", "förpackningspris", "ort"]


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
    assert len(described) == len(NAMES) and described
    assert [tuple(column) for column in described] == [
        tuple(column) for column in expected
    ]
    assert [column.name for column in described] == NAMES
    price = described[-2]
    assert (price.precision, price.scale) == (12, 2)
    assert described[-1].display_size == 20
    assert [column.name for column in described[-2:]] == NAMES[-2:]
    assert lazy.fetchall() == plain.fetchall()


@postgres_only
def test_the_description_stays_that_of_its_own_result(app):
    cursor = _raw_connection().cursor()
    cursor.execute(QUERY)
    first = cursor.description
    cursor.execute("SELECT 2 AS other")
    assert [column.name for column in first] == NAMES
    assert [column.name for column in cursor.description] == ["other"]


@postgres_only
def test_a_statement_that_returns_no_rows_has_no_description(app):
    cursor = _raw_connection().cursor()
    cursor.execute("SET LOCAL work_mem = '8MB'")
    assert cursor.description is None
    cursor.execute("SELECT WHERE false")  # rows of no columns: described, empty
    assert cursor.description is not None and len(cursor.description) == 0


@postgres_only
def test_each_result_of_an_executemany_is_described_as_itself(app):
    cursor = _raw_connection().cursor()
    cursor.executemany(
        "SELECT %s::int AS n, %s::text AS word", [(1, "ett"), (2, "två")],
        returning=True,
    )  # fmt: skip
    seen = []
    while True:
        seen.append(([column.name for column in cursor.description], cursor.fetchone()))
        if not cursor.nextset():
            break
    assert seen == [(["n", "word"], (1, "ett")), (["n", "word"], (2, "två"))]


@postgres_only
def test_a_cursor_class_given_to_the_connection_is_kept(database_url):
    url = normalise_database_url(database_url)
    engine = sa.create_engine(
        url, connect_args={"cursor_factory": psycopg.ClientCursor}
    )
    try:
        cursor_description.describe_lazily(engine)
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert type(raw.cursor()) is psycopg.ClientCursor
    finally:
        engine.dispose()


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
