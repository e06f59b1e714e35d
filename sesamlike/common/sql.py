"""SQL a partial index can be matched against.

A partial index serves a query only where the planner can see that the query's
condition implies the index's. A bound value hides it: PostgreSQL's generic
plan of a prepared statement (psycopg prepares a statement after its fifth
run) knows nothing of the value, and SQLite matches the condition's text.
`written_out` puts the constant in the SQL itself, as the index says it.

And SQL for a rule that Python states too: `days_after`.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles


def written_out(value: str | int) -> sa.ColumnElement:
    """A constant written into the statement, not bound: a code of our own
    enums or a whole number (never what a user typed)."""
    if isinstance(value, int):
        return sa.literal_column(str(int(value)), sa.Integer)
    if "'" in value:
        raise ValueError(f"not a code: {value!r}")
    return sa.literal_column(f"'{value}'")


class days_after(sa.sql.functions.FunctionElement):  # noqa: N801 (an SQL function)
    """`day` plus `days` whole days, as a date, in SQL: `days_after(day, days)`.

    Where a rule that counts days in Python (`day + timedelta(days)`) must also
    filter and order rows in the database: written for each dialect, since
    SQLite keeps a date as ISO text and has no date arithmetic but date().
    """

    type = sa.Date()
    name = "days_after"
    inherit_cache = True


@compiles(days_after)
def _days_after(element, compiler, **kw):
    day, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({day} + {days})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    day, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"date({day}, ({days}) || ' days')"


def in_ids(column: sa.ColumnElement[int], ids: list[int], *, postgresql: bool):
    """`column` is one of `ids`, as one bound value however many there are (a
    plain IN binds one parameter per id: PostgreSQL's protocol stops at 65,535,
    SQLite at 250,000; a region-wide manager passes either)."""
    if postgresql:
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))
    listed = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(sa.select(listed.c.value))
