"""psycopg cursors that describe their result only when asked what is in it.

After every statement SQLAlchemy takes the cursor's `description`, and psycopg
builds it whole each time: one `Column` per result column, its name decoded
and its type looked up. For a statement SQLAlchemy has run before (its compiled
form cached, and the result's columns with it) nothing ever looks inside: the
list only has to be there. A portal reorder's statements return about 280
columns in all (a patient, prescriptions, articles); not building their
descriptions saved 0.4-0.7 ms of a whole reorder's 17-22 ms of CPU
(bench/portal_cpu.py, PostgreSQL, old and new code run side by side).

Here `description` is a sequence that builds those `Column` objects the first
time an element or slice is read, from the result it was taken from and the
connection's encoding and adapters as they were then (a later statement on
the same cursor does not change it). Its length, truth and None for a
statement that returns no rows are psycopg's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq

# psycopg's test of a result that has columns (`BaseCursor.description`);
# TUPLES_CHUNK came with psycopg 3.2.
_WITH_COLUMNS = tuple(
    getattr(pq.ExecStatus, name)
    for name in ("TUPLES_OK", "SINGLE_TUPLE", "TUPLES_CHUNK")
    if hasattr(pq.ExecStatus, name)
)


class LazyDescription(Sequence["psycopg.Column"]):
    """A result's `Column`s, built when first read. (It is also what `Column`
    reads them from: the result, and the cursor's encoding and adapters.)"""

    __slots__ = ("pgresult", "_encoding", "adapters", "_columns")

    def __init__(self, cursor: psycopg.Cursor, pgresult: Any) -> None:
        self.pgresult = pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            self._columns = [
                psycopg.Column(self, index) for index in range(self.pgresult.nfields)
            ]
        return self._columns

    def __len__(self) -> int:
        return self.pgresult.nfields

    def __getitem__(self, index: int | slice) -> Any:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class LazyDescriptionCursor(psycopg.Cursor):
    """psycopg's default cursor (`psycopg.Cursor`) with a `LazyDescription`."""

    @property
    def description(self) -> LazyDescription | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _WITH_COLUMNS):
            return LazyDescription(self, result)
        return None


def describe_lazily(engine: sa.Engine) -> None:
    """Give the engine's psycopg connections `LazyDescriptionCursor`s. Other
    drivers are left as they are, and so is a connection given another cursor
    class (`connect_args`' cursor_factory, such as `psycopg.ClientCursor`)."""
    if engine.dialect.driver != "psycopg":
        return

    def connect(dbapi_connection, _record) -> None:
        if dbapi_connection.cursor_factory is psycopg.Cursor:
            dbapi_connection.cursor_factory = LazyDescriptionCursor

    sa.event.listen(engine, "connect", connect)
