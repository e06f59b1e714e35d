"""Counters the database raises when data that pages show changes (migration 0024).

`patient_data_versions` holds a counter per patient that moves with every
change of their prescriptions, orders, order lines or lent devices;
`data_versions` holds shared ones, today
'articles' (the catalogue). Triggers raise them in the writing transaction, so
every writer obeys them and a reader that sees a counter also sees the data it
stands for. What is built from that data can be kept under the counters' values
(`portal.kept`) and is good until one moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from sesamlike.common.models import DataVersion

CATALOGUE = "articles"
# SQLite's triggers skip while this row exists (written and deleted inside the
# suspending transaction); PostgreSQL's read a transaction-local setting.
_SUSPENDED_ROW = "suspended"
_SUSPENDED_SETTING = "sesamlike.data_versions_suspended"

# The tables whose rows move their patient's counter, each with a trigger per
# event (migration 0024).
PATIENT_TABLES = ("prescriptions", "orders", "order_lines", "devices")
_PATIENT_TRIGGERS = [
    f"{table}_bump_{event}"
    for table in PATIENT_TABLES
    for event in ("insert", "update", "delete")
]

# The catalogue's counter (no row: 0, never changed).
CATALOGUE_VERSION = sa.select(DataVersion.version).where(DataVersion.name == CATALOGUE)


@contextmanager
def suspended(connection: sa.Connection) -> Iterator[None]:
    """No counter moves for what this transaction writes inside the block.

    Only for writers of rows no page has been built from: `demo generate`,
    which writes the history of patients it creates in the same transaction.
    Ends with the block or, at the latest, with the transaction (a failed load
    leaves nothing suspended).
    """
    if connection.dialect.name == "postgresql":
        switch = sa.text("SELECT set_config(:name, :value, true)")
        connection.execute(switch, {"name": _SUSPENDED_SETTING, "value": "on"})
        try:
            yield
        finally:
            _end(connection, switch, {"name": _SUSPENDED_SETTING, "value": ""})
        return
    table = DataVersion.__table__
    connection.execute(sa.insert(table).values(name=_SUSPENDED_ROW, version=0))
    try:
        yield
    finally:
        # Also when the block fails: a caller that went on to commit would
        # otherwise leave every bump off.
        _end(connection, sa.delete(table).where(table.c.name == _SUSPENDED_ROW))


def _end(connection: sa.Connection, statement, params=None) -> None:
    """End a suspension; in a transaction the database has already failed
    (PostgreSQL), nothing can be committed, and the error that failed it is
    the one to raise."""
    try:
        connection.execute(statement, params)
    except sa.exc.DBAPIError:
        if not connection.in_transaction() or connection.dialect.name == "sqlite":
            raise


@contextmanager
def left_out(connection: sa.Connection) -> Iterator[None]:
    """`suspended`, for a bulk load in one transaction: on PostgreSQL the
    patients' triggers are dropped and made again at the end, as
    `common.bulk.deferred_indexes` does with indexes (and a rollback brings
    them back). A suspended statement trigger still has PostgreSQL keep every
    row written in its transition table: about a fifth more time for a COPY of
    two million lines; a dropped one costs nothing. Takes the tables' ACCESS
    EXCLUSIVE lock until the commit: only for a load that locks them anyway.
    """
    if connection.dialect.name != "postgresql":
        with suspended(connection):
            yield
        return
    triggers = connection.execute(
        sa.text("SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                "FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname = ANY(CAST(:names AS text[])) ORDER BY tgname"),
        {"names": _PATIENT_TRIGGERS},
    ).all()  # fmt: skip
    for table, name, _definition in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}" ON {table}')
    yield
    for _table, _name, definition in triggers:
        connection.exec_driver_sql(definition)
