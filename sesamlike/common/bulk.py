"""Bulk inserts of many plain rows: COPY on PostgreSQL, one executemany on SQLite.

For writers of generated or migrated data (`demo generate`), where SQLAlchemy's
per-row parameter processing of `connection.execute(insert(table), rows)` costs
more than the database's own work. The rows come out as the core insert would
write them: the columns' Python-side defaults are filled in (context-sensitive
ones too) and every value goes through its column type's bind processor. Like
the core insert, nothing here commits and no ORM event runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from operator import itemgetter

import sqlalchemy as sa


def reserve_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` new ids for `table`, taken up front so rows can refer to each other.

    PostgreSQL: from the table's sequence. SQLite, one writer at a time: after
    the largest id.
    """
    if count <= 0:
        return []
    if table.name in connection.info.get(_LOCKED, ()):
        # Nobody else inserts meanwhile: move the sequence once.
        last = connection.scalar(
            sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                    "nextval(pg_get_serial_sequence(:table, 'id')) + :n - 1)"),
            {"table": table.name, "n": count},
        )  # fmt: skip
        return list(range(last - count + 1, last + 1))
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
    if connection.dialect.name not in ("postgresql", "sqlite"):
        connection.execute(sa.insert(table), [dict(row) for row in rows])
        return
    keys, values = row_values(table, rows)
    copy_rows(connection, table, keys, values)


def row_values(table: sa.Table, rows: Sequence[Mapping]) -> tuple[list[str], list]:
    """The keys and value tuples of `rows` (dicts with the same keys) with the
    columns' Python-side defaults filled in, as a core insert would. Pure:
    touches no database."""
    given = [table.c[key] for key in rows[0]]
    defaulted = [
        column
        for column in table.columns
        if column.key not in rows[0]
        and column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
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
        values.append(value)
    return keys + [column.key for column in defaulted], values


@dataclass(frozen=True)
class Prepared:
    """Rows ready to go in (`prepare`): COPY's text on PostgreSQL when every
    value could be written here, else the values."""

    table: str
    keys: tuple[str, ...]
    text: str | None = None
    rows: Sequence[Sequence] = ()


def copy_rows(
    connection: sa.Connection,
    table: sa.Table,
    keys: Sequence[str],
    rows: Sequence[Sequence],
) -> None:
    """Insert `rows`, tuples of the values of the columns `keys` in that order,
    as they are: no column default is filled in (a column not named gets the
    database's: NULL, or its sequence's next id). For writers that make many
    rows of known shape, without a dict a row; each value still goes through
    its column type's bind processor."""
    if rows:
        prepared = prepare(connection.dialect, table, keys, rows)
        write_prepared(connection, table, prepared)


def prepare(
    dialect, table: sa.Table, keys: Sequence[str], rows: Sequence[Sequence],
    *, text: bool = False,
) -> Prepared:  # fmt: skip
    """`rows` as `copy_rows` writes them, bind processors applied; `text`: in
    COPY's text format on PostgreSQL (to hand to another process: a string
    crosses cheaply). Pure: touches no database."""
    columns = [table.c[key] for key in keys]
    processed = [
        (i, processor)
        for i, column in enumerate(columns)
        if (processor := column.type._cached_bind_processor(dialect)) is not None
    ]
    if processed:
        values = []
        for row in rows:
            value = list(row)
            for i, processor in processed:
                value[i] = processor(value[i])
            values.append(value)
        rows = values
    if text and dialect.name == "postgresql":
        return Prepared(table.name, tuple(keys), text=_copy_text(rows), rows=rows)
    return Prepared(table.name, tuple(keys), rows=rows)


def write_prepared(connection: sa.Connection, table: sa.Table, prepared: Prepared):
    """Insert what `prepare` made of rows of `table`."""
    dialect = connection.dialect
    columns = [table.c[key] for key in prepared.keys]
    rows = prepared.rows
    if dialect.name not in ("postgresql", "sqlite"):
        connection.execute(
            sa.insert(table),
            [dict(zip(prepared.keys, row, strict=True)) for row in rows],
        )
        return
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(column.name) for column in columns)
    copy_from = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) "
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        if dialect.name == "postgresql" and prepared.text is not None:
            with cursor.copy(copy_from + "FROM STDIN") as copy:
                copy.write(prepared.text)
        elif dialect.name == "postgresql" and (
            types := _binary_types(columns, dialect)
        ):
            # Binary: about a third less work for this process than the text
            # format, half for the server (it parses no text).
            with cursor.copy(copy_from + "FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for value in rows:
                    copy.write_row(value)
        elif dialect.name == "postgresql":
            with cursor.copy(copy_from + "FROM STDIN") as copy:
                text = _copy_text(rows)
                if text is None:  # a value of a type not written here
                    for value in rows:
                        copy.write_row(value)
                else:
                    copy.write(text)
        else:
            target = dialect.identifier_preparer.format_table(table)
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


class IdBlock:
    """Ids for a load into locked tables (`deferred_indexes`), handed out
    here without the database: from each table's next sequence value, read
    once (`read`), to the sequences moved past the last one (`close`). So
    another process can make rows that refer to each other by id."""

    def __init__(self, first: dict[str, int]):
        self.next = dict(first)

    @classmethod
    def read(cls, connection: sa.Connection, tables: Sequence[sa.Table]) -> IdBlock:
        locked = connection.info.get(_LOCKED, ())
        if any(table.name not in locked for table in tables):
            raise RuntimeError("ids are handed out ahead only in a locked load")
        return cls({
            table.name: connection.scalar(
                sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))"),
                {"table": table.name},
            )
            for table in tables
        })  # fmt: skip

    def take(self, table: sa.Table, count: int) -> list[int]:
        first = self.next[table.name]
        self.next[table.name] = first + count
        return list(range(first, first + count))

    def close(self, connection: sa.Connection, last: dict[str, int]) -> None:
        """Move the sequences to the ids after `last` (a block's `next` in the
        process that handed them out)."""
        for name, next_id in last.items():
            connection.execute(
                sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                        ":next, false)"),
                {"table": name, "next": next_id},
            )  # fmt: skip


# Column types COPY's binary format is written for here (psycopg's names).
_BINARY = {
    "INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2", "VARCHAR": "varchar",
    "TEXT": "text", "NUMERIC": "numeric", "DATE": "date", "BOOLEAN": "bool",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIMESTAMP": "timestamp",
}  # fmt: skip


def _binary_types(columns: Sequence[sa.Column], dialect) -> list[str] | None:
    """The columns' types for a binary COPY, or None if one is of another type."""
    names = []
    for column in columns:
        name = _BINARY.get(column.type.compile(dialect).split("(")[0])
        if name is None:
            return None
        names.append(name)
    return names


_LOCKED = "sesamlike.bulk.locked_tables"


@contextmanager
def deferred_indexes(
    connection: sa.Connection, tables: Sequence[sa.Table], keep: Sequence[str] = ()
) -> Iterator[None]:
    """A bulk load on PostgreSQL with the tables' secondary indexes and foreign
    keys made after it, as the manual's "Populating a Database" advises: one
    sort per index and one join per key instead of an index insert and a key
    lookup per row (COPY of order lines about 7 times faster).

    Unique indexes and primary keys stay (they check what they check, and
    find rows by id); so do the indexes named in `keep`, which the load itself
    searches by. The tables are locked for the load (others wait), ids are
    reserved with one sequence move (`reserve_ids`), and the whole load must
    be one transaction: what was dropped comes back at the end, or with the
    rollback of a failed load. Does nothing on other databases.
    """
    if connection.dialect.name != "postgresql" or not tables:
        yield
        return
    names = [table.name for table in tables]
    connection.exec_driver_sql(
        "LOCK TABLE " + ", ".join(f'"{name}"' for name in names) + " IN EXCLUSIVE MODE"
    )
    keys = connection.execute(
        sa.text("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = ANY(CAST(:names AS regclass[])) ORDER BY conname"),
        {"names": names},
    ).all()  # fmt: skip
    indexes = connection.execute(
        sa.text("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = ANY(CAST(:names AS regclass[])) "
                "AND NOT i.indisunique "
                "AND NOT c.relname = ANY(CAST(:keep AS text[])) ORDER BY c.relname"),
        {"names": names, "keep": list(keep)},
    ).all()  # fmt: skip
    for table, name, _definition in keys:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    connection.info[_LOCKED] = set(names)
    try:
        yield
    finally:
        connection.info.pop(_LOCKED, None)
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)
    for table, name, definition in keys:
        connection.exec_driver_sql(
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        )


def _escaped(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


# COPY's text format per Python type (psycopg's write_row dumps value by value,
# about 3 times slower); enums of str write their value, learnt a type at a time
# (`_learn`). A datetime is formatted once per distinct value: the rows of one
# load share a handful (the time of writing, 09:00 of a day).
_TEXT = {
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: int.__repr__,
    float: float.__repr__,
    Decimal: Decimal.__str__,
    str: _escaped,
    date: date.isoformat,
    datetime: lru_cache(maxsize=8192)(datetime.isoformat),
}


def _copy_text(values: list) -> str | None:
    """The rows in COPY's text format, or None if a value's type is not known
    here (then psycopg writes them)."""
    lines = []
    text = _TEXT
    for row in values:
        try:
            lines.append("\t".join([text[type(value)](value) for value in row]))
        except KeyError:
            if not _learn(row):
                return None
            lines.append("\t".join([text[type(value)](value) for value in row]))
    lines.append("")
    return "\n".join(lines)


def _learn(row) -> bool:
    """Teach `_TEXT` the str enums of `row`; False if a value is of another
    type it does not know."""
    for value in row:
        if type(value) in _TEXT:
            continue
        if isinstance(value, Enum) and isinstance(value.value, str):
            _TEXT[type(value)] = _enum_text
        else:
            return False
    return True


def _enum_text(value: Enum) -> str:
    return _escaped(value.value)


class _DefaultContext:
    """What a context-sensitive column default reads: the row being inserted."""

    current_parameters: Mapping | None = None

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True):  # noqa: ARG002
        return self.current_parameters


def _default(default: sa.ColumnDefault, context: _DefaultContext):
    return default.arg(context) if default.is_callable else default.arg
