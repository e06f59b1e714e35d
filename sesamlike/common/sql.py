"""SQL a partial index can be matched against.

A partial index serves a query only where the planner can see that the query's
condition implies the index's. A bound value hides it: PostgreSQL's generic
plan of a prepared statement (psycopg prepares a statement after its fifth
run) knows nothing of the value, and SQLite matches the condition's text.
`written_out` puts the constant in the SQL itself, as the index says it.
"""

from __future__ import annotations

import sqlalchemy as sa


def written_out(value: str | int) -> sa.ColumnElement:
    """A constant written into the statement, not bound: a code of our own
    enums or a whole number (never what a user typed)."""
    if isinstance(value, int):
        return sa.literal_column(str(int(value)), sa.Integer)
    if "'" in value:
        raise ValueError(f"not a code: {value!r}")
    return sa.literal_column(f"'{value}'")
