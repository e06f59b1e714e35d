"""Bulk inserts of many plain rows: COPY on PostgreSQL, one executemany on SQLite.

For writers of generated or migrated data (`demo generate`), where SQLAlchemy's
per-row parameter processing of `connection.execute(insert(table), rows)` costs
more than the database's own work. The rows come out as the core insert would
write them: the columns' Python-side defaults are filled in (context-sensitive
ones too) and every value goes through its column type's bind processor. Like
the core insert, nothing here commits and no ORM event runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter

import sqlalchemy as sa


def reserve_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` new ids for `table`, taken up front so rows can refer to each other.

    PostgreSQL: from the table's sequence. SQLite, one writer at a time: after
    the largest id.
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = sa.text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :n)"
        )
        return list(connection.scalars(sequence, {"table": table.name, "n": count}))
    first = (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def insert_rows(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping]
) -> None:
    """Insert `rows` (dicts with the same keys, as for a core executemany)."""
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        connection.execute(sa.insert(table), [dict(row) for row in rows])
        return
    given = [table.c[key] for key in rows[0]]
    defaulted = [
        column
        for column in table.columns
        if column.key not in rows[0]
        and column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
    ]
    columns = given + defaulted
    processed = [
        (i, processor)
        for i, column in enumerate(columns)
        if (processor := column.type._cached_bind_processor(dialect)) is not None
    ]
    keys = [column.key for column in given]
    pick = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    context = _DefaultContext()
    values = []
    for row in rows:
        value = pick(row)
        if defaulted:
            context.current_parameters = row
            value += tuple(_default(column.default, context) for column in defaulted)
        if processed:
            value = list(value)
            for i, processor in processed:
                value[i] = processor(value[i])
        values.append(value)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(column.name) for column in columns)
    target = dialect.identifier_preparer.format_table(table)
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {target} ({names}) VALUES ({marks})", values
            )
    finally:
        cursor.close()


class _DefaultContext:
    """What a context-sensitive column default reads: the row being inserted."""

    current_parameters: Mapping | None = None

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True):  # noqa: ARG002
        return self.current_parameters


def _default(default: sa.ColumnDefault, context: _DefaultContext):
    return default.arg(context) if default.is_callable else default.arg
