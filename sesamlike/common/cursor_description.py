"""psycopg cursors that describe their result only when asked what is in it.

After every statement SQLAlchemy takes the cursor's `description`, and psycopg
builds it whole each time: one `Column` per result column, its name decoded
and its type looked up. For a statement SQLAlchemy has run before (its compiled
form cached, and the result's columns with it) nothing ever looks inside: the
list only has to be there. A portal reorder's statements return some 200
columns in all (a patient, prescriptions, articles); building their
descriptions was about a twelfth of the request's CPU.

Here `description` is a sequence that builds those `Column` objects the first
time an element or slice is read, from the result it was taken from (a later
statement on the same cursor does not change it). Its length, truth and None
for a statement that returns no rows are psycopg's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq

# psycopg's test of a result that has columns (`BaseCursor.description`).
_WITH_COLUMNS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE,
                 pq.ExecStatus.TUPLES_CHUNK)  # fmt: skip


class LazyDescription(Sequence):
    """A result's `Column`s, built when first read. (It is also what `Column`
    reads them from: the result, and its cursor's encoding and adapters.)"""

    __slots__ = ("pgresult", "_cursor", "_columns")

    def __init__(self, cursor: psycopg.Cursor, pgresult: Any) -> None:
        self.pgresult = pgresult
        self._cursor = cursor
        self._columns: list[psycopg.Column] | None = None

    @property
    def _encoding(self) -> str:
        return self._cursor._encoding

    @property
    def adapters(self):
        return self._cursor.adapters

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            self._columns = [
                psycopg.Column(self, index) for index in range(self.pgresult.nfields)
            ]
        return self._columns

    def __len__(self) -> int:
        return self.pgresult.nfields

    def __getitem__(self, index):
        return self._built()[index]

    def __iter__(self):
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class LazyDescriptionCursor(psycopg.Cursor):
    """psycopg's client cursor with a `LazyDescription`."""

    @property
    def description(self) -> LazyDescription | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _WITH_COLUMNS):
            return LazyDescription(self, result)
        return None


def describe_lazily(engine: sa.Engine) -> None:
    """Give the engine's psycopg connections `LazyDescriptionCursor`s (other
    drivers are left as they are)."""
    if engine.dialect.driver != "psycopg":
        return

    def connect(dbapi_connection, _record) -> None:
        dbapi_connection.cursor_factory = LazyDescriptionCursor

    sa.event.listen(engine, "connect", connect)
