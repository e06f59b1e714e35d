"""Counters the database raises when data that pages show changes (migration 0024).

`patients.data_version` moves with every change of a patient's prescriptions,
orders, order lines or lent devices; `data_versions` holds shared ones, today
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

_CATALOGUE_VERSION = sa.select(DataVersion.version).where(DataVersion.name == CATALOGUE)


def catalogue_version(session) -> int:
    """The catalogue's counter (0 until its first change)."""
    return session.scalar(_CATALOGUE_VERSION) or 0


@contextmanager
def suspended(connection: sa.Connection) -> Iterator[None]:
    """No counter moves for what this transaction writes inside the block.

    Only for writers of rows no page has been built from: `demo generate`,
    which writes the history of patients it creates in the same transaction.
    Ends with the block or, at the latest, with the transaction (a failed load
    leaves nothing suspended).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT set_config(:name, 'on', true)"),
            {"name": _SUSPENDED_SETTING},
        )
        yield
        connection.execute(
            sa.text("SELECT set_config(:name, '', true)"), {"name": _SUSPENDED_SETTING}
        )
        return
    table = DataVersion.__table__
    connection.execute(sa.insert(table).values(name=_SUSPENDED_ROW, version=0))
    yield
    connection.execute(sa.delete(table).where(table.c.name == _SUSPENDED_ROW))
