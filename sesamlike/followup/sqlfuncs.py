"""Small SQL functions spelled for SQLite and PostgreSQL alike.

Dates become whole day numbers (days since 1970-01-01) so the day arithmetic of
the cost rules is plain integer arithmetic on both databases. Money stays NUMERIC
(exact) on PostgreSQL; SQLite has only floating point, so there prices are cast to
REAL (NUMERIC affinity stores 30000.00 as the integer 30000, and integer division
would truncate) and rounding adds a nanokrona against binary representation error
(a sum that is exactly x.xx5 may be stored as x.xx4999...).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_day(FunctionElement):
    """Whole days from 1970-01-01 to a DATE."""

    type = sa.Integer()
    inherit_cache = True


@compiles(epoch_day)
def _epoch_day_default(element, compiler, **kw):
    (arg,) = list(element.clauses)
    return f"({compiler.process(arg, **kw)} - DATE '1970-01-01')"


@compiles(epoch_day, "sqlite")
def _epoch_day_sqlite(element, compiler, **kw):
    (arg,) = list(element.clauses)
    return f"CAST(julianday({compiler.process(arg, **kw)}) - 2440587.5 AS INTEGER)"


class least(FunctionElement):
    type = sa.Integer()
    inherit_cache = True


@compiles(least)
def _least_default(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


class greatest(FunctionElement):
    type = sa.Integer()
    inherit_cache = True


@compiles(greatest)
def _greatest_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


class floor_int(FunctionElement):
    """Round a positive number down to a whole number."""

    type = sa.Integer()
    inherit_cache = True


@compiles(floor_int)
def _floor_default(element, compiler, **kw):
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_sqlite(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)}) + 0.000001 AS INTEGER)"


class money(FunctionElement):
    """A price column as an exact-enough number for arithmetic."""

    type = sa.Numeric()
    inherit_cache = True


@compiles(money)
def _money_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(money, "sqlite")
def _money_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


class round_ore(FunctionElement):
    """Round a non-negative amount half up to öre."""

    type = sa.Numeric(12, 2)
    inherit_cache = True


@compiles(round_ore)
def _round_default(element, compiler, **kw):
    return f"ROUND(CAST({compiler.process(element.clauses, **kw)} AS NUMERIC), 2)"


@compiles(round_ore, "sqlite")
def _round_sqlite(element, compiler, **kw):
    return f"ROUND(({compiler.process(element.clauses, **kw)}) + 0.000000001, 2)"


def literal_int(value: int) -> sa.ColumnElement[int]:
    """An integer written into the SQL rather than bound: equal expressions then
    compare equal (GROUP BY and ORDER BY of the same CASE on PostgreSQL), and
    one beyond 32 bits is read as a 64-bit integer, not cast to INTEGER."""
    return sa.literal_column(str(int(value)), sa.BigInteger)


class no_index(FunctionElement):
    """An expression as it stands, never an index's key on SQLite.

    SQLite has no statistics here: to read most of a table it may walk an index
    and fetch each row by its rowid, which is slower than a scan of the table.
    A unary plus keeps a term from choosing an index (SQLite's documented way,
    "disqualifying WHERE clause terms"); other databases get the expression.
    """

    inherit_cache = True

    def __init__(self, expression):
        super().__init__(expression)
        self.type = expression.type


@compiles(no_index)
def _no_index_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(no_index, "sqlite")
def _no_index_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


class array_of(FunctionElement):
    """ARRAY(<select>) on PostgreSQL: the select's rows as one array value."""

    inherit_cache = True


@compiles(array_of, "postgresql")
def _array_of_postgresql(element, compiler, **kw):
    (select,) = list(element.clauses)
    return f"ARRAY({compiler.process(select, **kw)})"


def in_few(column: sa.ColumnElement[int], select: sa.Select, *, postgresql: bool):
    """`column` is one of a few ids a select gives (an incremental run's
    patients): on PostgreSQL as `= ANY(ARRAY(select))`, an array the planner
    cannot see into, so it looks each one up by its key whatever its statistics
    of the table say; elsewhere a plain IN."""
    if postgresql:
        return column == sa.any_(array_of(select.scalar_subquery()))
    return column.in_(select)
